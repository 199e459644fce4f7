"""Committing a projection runner's batches on a second thread, so the database works while the
projections compute the next batch.

``commit`` prepares the batch's SQL in the caller's thread (Python work) and hands it to one
commit thread, waiting first for the previous batch: one batch in flight, order kept, and a
failed commit raised at the next ``commit`` or at ``flush`` (the runner flushes at the end of
every pass, so a pass returns only once its batches are durable). The prepared statements hold
the GIL for little of their time: multi-row INSERTs on SQLite (the GIL is taken back once per
statement of up to a thousand rows), one COPY write per table on PostgreSQL. Everything else
waits for the thread first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from application.read_models.ports import RowQuery, StoredVersion
from infrastructure.read_models.sql_store import SqlReadModels
from projections.base import Table, Version


class BackgroundCommits:
    """A ``ReadModelStore`` over ``SqlReadModels`` whose commits run on a thread of their own."""

    def __init__(self, store: SqlReadModels) -> None:
        self.store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="view-commits")
        self._in_flight: Future[None] | None = None

    def positions(self) -> dict[str, int]:
        """The committed positions (after the batch in flight)."""
        self.flush()
        return self.store.positions()

    def commit(self, positions: Mapping[str, int], changes: Mapping[str, Sequence[Version]]) -> None:
        """Prepare the batch here, then commit it on the thread once the previous one is done."""
        prepared = self.store.prepare(positions, changes)
        self.flush()
        self._in_flight = self._thread.submit(self.store.apply, prepared)

    def flush(self) -> None:
        """Wait for the batch in flight; raise its error if it failed."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def reset(self, projection: str, tables: Sequence[Table]) -> None:
        """After the batch in flight."""
        self.flush()
        self.store.reset(projection, tables)

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """After the batch in flight."""
        self.flush()
        return self.store.rows(query)

    def close(self) -> None:
        """Finish the batch in flight, close the thread's connection, stop the thread."""
        try:
            self.flush()
        finally:
            self._thread.submit(self.store.close).result()
            self._thread.shutdown()
