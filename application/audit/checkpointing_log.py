"""An event log that signs periodic checkpoints as it is appended to.

The seam every writer of the product already goes through (ingestion's batches, a
session's commits): wrap the log a writer is given and, after each committed append,
the policy is asked whether a checkpoint is due. A checkpoint goes in between two
commits, never inside one, so a session's inputs stay next to the decisions they caused
(and replay passes over checkpoints anyway). The clock is handed in.

With a pipelined inner log (a writer process whose append returns before its batch is
committed), ``deferred`` signs a due checkpoint at the start of the next append instead,
when the batch before has had the time it takes to prepare this one to commit: signing
right away would make the caller wait for the batch in flight, leaving the writer idle
while the next batch is prepared. ``finish`` signs one still due after the last append.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.audit.periodic import PeriodicCheckpoints
from application.ports import EventLog, RecordedEvent, StoredRecord, rows_in
from domain.events import CheckpointSigned, Event

Clock = Callable[[], datetime]
"""The current time, timezone-aware (the caller's clock: the application never reads one)."""


class CheckpointingLog:
    """``inner``, plus a checkpoint after any append that makes one due (never without ``checkpoints``)."""

    def __init__(
        self,
        inner: EventLog,
        checkpoints: PeriodicCheckpoints | None,
        clock: Clock,
        *,
        deferred: bool = False,
    ) -> None:
        self.inner = inner
        self.checkpoints = checkpoints
        self.clock = clock
        self.deferred = deferred

    @property
    def signed(self) -> list[CheckpointSigned]:
        """The checkpoints signed through this log, oldest first."""
        return self.checkpoints.signed if self.checkpoints is not None else []

    def append(self, events: Sequence[Event]) -> int:
        """Append (one transaction), then sign a checkpoint if one is due; the batch's last id.
        Deferred: sign one the appends before made due first, then append."""
        self._sign_deferred()
        last = self.inner.append(events)
        self._appended(len(events))
        return last

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for encoded events."""
        self._sign_deferred()
        last = self.inner.append_encoded(items)
        self._appended(rows_in(items))
        return last

    def finish(self) -> None:
        """Deferred: sign the checkpoint the last append made due, if any (before closing the inner
        log), over everything appended: the batches in flight are waited for first."""
        if self.deferred and self.checkpoints is not None:
            self.inner.last_notification_id()
        self._sign_deferred()

    def stream_head(self, originator_id: UUID) -> Event | None:
        """The inner log's."""
        return self.inner.stream_head(originator_id)

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """The inner log's."""
        return self.inner.read_stream(originator_id, after_version, upto_version)

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """The inner log's."""
        return self.inner.read(after, page_size, topics, decode_as)

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """The inner log's."""
        return self.inner.read_stored(after, page_size)

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """The inner log's."""
        return self.inner.read_states(topic, after, page_size)

    def last_notification_id(self) -> int:
        """The inner log's (checkpoints included)."""
        return self.inner.last_notification_id()

    def count_by_topic(self) -> dict[str, int]:
        """The inner log's."""
        return self.inner.count_by_topic()

    def _appended(self, count: int) -> None:
        if self.checkpoints is not None and count:
            if self.deferred:
                self.checkpoints.count(count)
            else:
                self.checkpoints.appended(count, self.clock())

    def _sign_deferred(self) -> None:
        if self.deferred and self.checkpoints is not None:
            self.checkpoints.sign_if_due(self.clock())
