"""The writer process's helper threads: copying a WAL into its file, and writing a file to disk.

Each works on a descriptor or connection of its own, without the interpreter lock while the
disk works, so the writer's inserting thread goes on meanwhile (``sqlite_writer``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading

LOCK_TIMEOUT_SECONDS = 30
"""How long the writer's connections wait for another process's write transaction (the ledger's
own setting)."""


class _AfterCommits:
    """A thread that does its work after each commit it hears of (``committed``), once for any
    commits made while it worked, until ``stop``."""

    def __init__(self) -> None:
        self._due = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A batch committed: its pages are there to work on."""
        self._due.set()

    def stop(self) -> None:
        """Stop after the work under way."""
        self._stopping = True
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopping:
                return
            self._after_commit()

    def _after_commit(self) -> None:
        raise NotImplementedError


class Checkpointer(_AfterCommits):
    """Copies the WAL's committed pages into the database file on a thread and connection of its
    own, after each commit, while the writer inserts the next batch: SQLite's automatic
    checkpoints run inside the commit that crosses their threshold and stall the writer, with
    the engine waiting behind.
    Passive: it never blocks the writer, and copies what no reader still needs."""

    def __init__(self, path: str) -> None:
        self._database = sqlite3.connect(
            path, isolation_level=None, timeout=LOCK_TIMEOUT_SECONDS, check_same_thread=False
        )
        super().__init__()

    def stop(self) -> None:
        """Stop the copy under way and close the connection (what is left is copied when the file's
        last connection closes, as SQLite does)."""
        self._stopping = True  # no new copy starts...
        self._database.interrupt()  # ...and the one under way ends now
        super().stop()
        self._database.close()

    def _after_commit(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # busy: the next commit asks again
            self._database.execute("PRAGMA wal_checkpoint(PASSIVE)")


class Flusher(_AfterCommits):
    """Writes a file loaded without syncs (``synchronous=OFF``, see ``sqlite_writer``) out to disk
    while the load goes on: after each batch, a thread of its own asks the kernel to write the
    file's dirty pages (``fdatasync``, without the interpreter lock; within the C loader's one
    transaction, the pages SQLite has written out of its cache so far). Otherwise the whole file
    would wait in the page cache for the sync that makes it durable at the end, on the run's
    tail."""

    def __init__(self, path: str) -> None:
        self._file = os.open(path, os.O_RDONLY)
        super().__init__()

    def close(self) -> None:
        """Close the file (once SQLite's connections to it are closed: see ``serve``)."""
        os.close(self._file)

    def _after_commit(self) -> None:
        with contextlib.suppress(OSError):  # the sync at the end reports what matters
            os.fdatasync(self._file)
