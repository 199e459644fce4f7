"""A run log's batches inserted and linked in C, where ``_loader.c`` was built.

In Python, the writer of a new file it fills alone (``sqlite_writer``, a backtest's run log) spends
most of its time on a Python object per row: each copied bar fetched from the source as a tuple,
each row handed to sqlite3 and again to the chain's linker. ``NativeBatches`` hands a batch's
columns to the C loader instead, which copies each run of the source's rows in one
``INSERT ... SELECT`` from the source attached read-only (linking each row on the way), inserts
the inline ones, links every row and stores the batch's block, on a connection of its own,
without the interpreter lock: the same rows, block and digest of the copied rows as
``sqlite_chain.insert_chained`` over ``SourceRows.merge`` (tests/integration/test_bulk_loader.py
loads the same batches both ways and compares the files). The batches go into one transaction,
committed by ``commit`` (on the writer's ``Commit`` or ``BuildStreamKey`` request, or at its end:
``sqlite_writer``, ``writer_protocol``).

Used only where it is the same SQLite library as Python's, built with that version's headers
(``sqlite_versions``), and where every row of the file is already linked.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from infrastructure.errors import StoreError
from infrastructure.pure_python import pure_python
from infrastructure.store.source_copies import SourceMissing
from infrastructure.store.sqlite_chain import chain_head
from infrastructure.store.sqlite_versions import same_sqlite
from infrastructure.store.writer_protocol import ReceivedBatch

_loader: Any = None
if not pure_python("loader"):
    try:
        from infrastructure.store import _loader  # type: ignore[attr-defined,no-redef]
    except ImportError:  # not built here: the writer's Python path
        _loader = None

NATIVE = _loader is not None and same_sqlite(_loader)
"""Whether batches can be loaded in C here (the benchmarks print it)."""


def disable_memory_statistics() -> bool:
    """Turn SQLite's memory statistics off in this process where the C loader is built: each of
    SQLite's allocations takes a global lock for them, which the writer has no use for. Only in a
    process that has no connection open yet (``sqlite_writer.serve`` calls it first); whether
    it was done."""
    return bool(NATIVE and _loader.disable_memory_statistics())


class LoadFailed(StoreError):
    """The C loader refused a batch (SQLite's error, or rows that are not events); it was rolled back."""


class NativeBatches:
    """Batches appended by the C loader, all in one transaction (see the module)."""

    def __init__(self, loader: Any, last: int, head: bytes) -> None:
        self._loader = loader
        self._last, self._head = last, head
        self._committed = last, head
        self._open = False
        self.empty = last == 0
        """Whether the file had no events when the loader opened it."""

    @classmethod
    def open(
        cls, path: str, source: str | None, cache_kib: int, database: sqlite3.Connection
    ) -> NativeBatches | None:
        """A loader for ``path`` (a file ``database`` has open, in no transaction) copying from
        ``source``; None where it cannot be used (not built, another SQLite library, or rows of
        the file not linked yet: the Python path links those first)."""
        if not NATIVE:
            return None
        cursor = database.cursor()
        linked, head = chain_head(cursor)
        last = cursor.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0] or 0
        if linked != last:
            return None
        loader = _loader.Loader(path, source)
        try:
            for pragma in (f"cache_size=-{cache_kib}", "journal_mode=MEMORY", "synchronous=OFF"):
                loader.execute(f"PRAGMA main.{pragma}")  # the file's, not the attached source's
        except _loader.LoadError as error:
            loader.close()
            raise LoadFailed(str(error)) from None
        return cls(loader, last, head)

    def write(self, batch: ReceivedBatch) -> tuple[int, tuple[int, bytes]]:
        """One batch into the load's transaction (begun by the first): the last rowid and the
        chain's head after it. A batch that fails rolls the whole transaction back."""
        loader = self._loader
        try:
            if not self._open:
                loader.execute("BEGIN IMMEDIATE")
                self._open = True
            try:
                last, head = loader.append(
                    self._head,
                    self._last,
                    batch.originators,
                    batch.versions,
                    batch.topics,
                    batch.states,
                    batch.copies,
                )
            except BaseException:
                self._open = False
                self._last, self._head = self._committed
                loader.execute("ROLLBACK")
                raise
        except _loader.MissingSourceRow as error:
            raise SourceMissing(str(error)) from None
        except _loader.LoadError as error:
            raise LoadFailed(str(error)) from None
        self._last, self._head = last, head
        return last, (last, head)

    @property
    def last(self) -> int:
        """The last rowid written (committed or not)."""
        return self._last

    @property
    def head(self) -> bytes:
        """The chain's hash after ``last``."""
        return self._head

    def commit(self) -> None:
        """Commit the batches written since the last commit (none: nothing to do)."""
        if self._open:
            try:
                self._loader.execute("COMMIT")
            except _loader.LoadError as error:
                raise LoadFailed(str(error)) from None
            self._open = False
            self._committed = self._last, self._head

    @property
    def copied(self) -> tuple[str, int]:
        """SHA-256 over the copied rows' states in the order copied, and how many."""
        return self._loader.copied_digest(), self._loader.copied

    def close(self) -> None:
        """Close the loader's connection (batches not committed are rolled back)."""
        self._loader.close()
