"""Appending to a SQLite log from a second process, so bulk appends use both cores.

The caller's process encodes and sends each batch (the messages: ``writer_protocol``); the
writer process inserts it in one transaction into the library's table, links it into the hash
chain in the same transaction (hashed here, on the other core) and answers with the last rowid.
At most two batches are in flight (``IN_FLIGHT``): the writer reads the next batch off
the pipe while it inserts one, so neither process waits for the other when one batch
takes longer than the next; ``append`` waits for the oldest answer before sending a
third, so order and back-pressure hold. A failure surfaces at a later call (or at
``flush``/``close``), and once a batch fails the writer commits no later one: the log
never has a gap. An append therefore returns the last id known so far (an earlier
batch's); ``flush`` returns the last batch's. Used for a
backtest's own run log and for ingesting into the embedded store; other processes
may append to the same file meanwhile (SQLite's lock orders the transactions, and
events they leave unlinked are linked by the next batch).

A new file that the writer fills alone (a backtest's run log, ``reader=None``) is loaded without a
write-ahead log: SQLite keeps each batch's rollback journal in memory and writes the pages once,
into the file, instead of into the WAL and again into the file at each checkpoint (less CPU for the
writer, and no checkpointing thread). At the end the file is made durable and switched to WAL, like
every ledger. A load that stops midway (the process killed in a commit, a power cut) may leave the
file damaged: the backtest has failed then, and the file is refused at its next open
(``stream_key.ensure_stream_key``); rerun the backtest. Such a file's batches are inserted and
linked by the C loader where it was built (``bulk_loader``): the same rows, links and copies'
digest as the Python path, without a Python object per row, and all in one transaction, which
``commit`` (and ``close``) ends: a batch's answer then means it is in the load, not yet committed,
and a batch that fails rolls the whole load back (the run has failed; its file keeps no events).
Each commit writes out again the pages it has dirtied, among them the stream key's pages where the
orders' random keys land, so one transaction for the load writes far less than a commit a batch
would. Nothing reads the file before ``close`` (it is the writer's alone), and the engine sends an
order to the simulated venue in the batch that records it in either case.
"""

from __future__ import annotations

import contextlib
import fcntl
import queue
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any, assert_never, cast
from uuid import UUID

from application.ports import EventLog, RecordedEvent, StoredRecord
from domain.audit.chain import GENESIS
from domain.events import Event
from infrastructure.errors import StoreError
from infrastructure.store.bulk_loader import NativeBatches, disable_memory_statistics
from infrastructure.store.codec import EventCodec
from infrastructure.store.source_copies import Row, SourceMissing, SourceRows, split_batch
from infrastructure.store.sqlite_chain import chain_head, insert_chained
from infrastructure.store.stream_key import build_stream_key
from infrastructure.store.writer_protocol import (
    ENCODER,
    AppendBatch,
    BuildStreamKey,
    Commit,
    ProtocolError,
    ReceivedBatch,
    Refused,
    Request,
    SentBatch,
    Written,
    decode_answer,
    decode_request,
    receive,
    send,
)
from infrastructure.store.writer_threads import LOCK_TIMEOUT_SECONDS, Checkpointer, Flusher

CACHE_KIB = 131_072
"""The writer's page cache (128 MiB; SQLite's default is 2 MiB). A run's bars are one stream, but
every order is its own, so an order's rows land at random places in the primary-key index: the
cache holds the index, so those inserts find its pages in memory."""


def _rows(batch: ReceivedBatch, source: SourceRows | None) -> list[Row]:
    # The batch's rows, in order, with the copied ones read from the source.
    inline: list[Row] = list(zip(batch.originators, batch.versions, batch.topics, batch.states, strict=True))
    if not batch.copies:
        return inline
    if source is None:
        raise SourceMissing("the batch copies rows from a source, and this writer was given none")
    return source.merge(inline, batch.copies)


PIPE_BYTES = 1 << 20
"""The pipe to the writer holds 1 MiB (Linux's default is 64 KiB, and 1 MiB the most it gives
without privileges). The writer's reader thread takes each chunk off the pipe only when it gets
the interpreter lock back from the inserting thread (up to 5 ms later), so a batch of several MB
crosses in far fewer turns through a wider pipe."""


def _widen(pipe: IO[bytes]) -> None:
    # Where the platform has no F_SETPIPE_SZ, or refuses, the pipe keeps its size.
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


SWITCH_SECONDS = 0.0005
"""How soon the writer's inserting thread hands the interpreter lock to the thread reading the
pipe when that one has a chunk (Python's default is 5 ms): the next batch keeps crossing while
one is inserted, and the engine does not wait for the pipe."""

IN_FLIGHT = 2
"""Batches sent and not yet answered, at most."""


def _read_ahead(stream: IO[bytes], messages: queue.Queue[bytes | None]) -> None:
    """Move the messages off the pipe as they come (the next batch crosses while one is inserted);
    None once the pipe is closed."""
    while (message := receive(stream)) is not None:
        messages.put(message)
    messages.put(None)


def _write(
    database: sqlite3.Connection,
    request: Request,
    chained: bool,
    source: SourceRows | None,
    native: NativeBatches | None,
) -> tuple[int, tuple[int, bytes] | None]:
    """One request: a batch of rows (in its own transaction; by the C loader, when there is one,
    into the load's transaction), the stream key (in a transaction of its own) or a commit; the
    last rowid and the chain's head after it."""
    if isinstance(request, AppendBatch):
        if native is not None:
            return native.write(request)
        if chained:
            return _in_transaction(
                database, chained, lambda cursor: insert_chained(cursor, _rows(request, source))
            )
        insert = "INSERT INTO stored_events VALUES (?,?,?,?)"
        return _in_transaction(
            database, chained, lambda cursor: cursor.executemany(insert, _rows(request, source))
        )
    if native is not None:  # the load's transaction ends here (the key is built in one of its own)
        native.commit()
        if isinstance(request, Commit):
            return native.last, (native.last, native.head)
    elif isinstance(request, Commit):  # every batch is committed already
        cursor = database.cursor()
        last = cursor.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0] or 0
        return last, chain_head(cursor) if chained else None
    if isinstance(request, BuildStreamKey):
        return _in_transaction(database, chained, build_stream_key)
    assert_never(request)


def _in_transaction(
    database: sqlite3.Connection, chained: bool, work: Callable[[sqlite3.Cursor], object]
) -> tuple[int, tuple[int, bytes] | None]:
    # ``work`` in one write transaction (rolled back if it fails); the last rowid and chain head after it.
    database.execute("BEGIN IMMEDIATE")
    try:
        cursor = database.cursor()
        work(cursor)
        last = cursor.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0] or 0
        head = chain_head(cursor) if chained else None
    except BaseException:
        database.execute("ROLLBACK")
        raise
    database.execute("COMMIT")
    return last, head


def serve(
    path: str, synchronous: str, chained: bool, source_path: str | None = None, alone: bool = False
) -> None:
    """The writer's loop: requests in on stdin (``writer_protocol``), each answered on stdout, in
    order, until stdin is closed. After a request fails (or is not one the protocol has), every
    later one is refused (so nothing after the gap commits). ``source_path``: the log batches
    copy rows from; ``alone``: a new file only this process opens until it is done (see the
    module)."""
    sys.setswitchinterval(SWITCH_SECONDS)
    disable_memory_statistics()  # before the process's first connection
    database = sqlite3.connect(path, isolation_level=None, timeout=LOCK_TIMEOUT_SECONDS)
    database.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    checkpointer: Checkpointer | None = None
    flusher: Flusher | None = None
    if alone and database.execute("PRAGMA journal_mode=MEMORY").fetchone()[0] == "memory":
        database.execute("PRAGMA synchronous=OFF")  # made durable at the end, at once
        flusher = Flusher(path)
    else:
        database.execute("PRAGMA journal_mode=WAL")
        database.execute(f"PRAGMA synchronous={synchronous}")
        database.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        checkpointer = Checkpointer(path)
    native = (
        NativeBatches.open(path, source_path, CACHE_KIB, database)
        if chained and checkpointer is None
        else None
    )
    source = SourceRows(source_path) if source_path and native is None else None
    if native is not None and native.empty:  # a new file: keyed before the load (``stream_key``)
        _write(database, BuildStreamKey(), chained, None, None)
    sink = sys.stdout.buffer
    batches: queue.Queue[bytes | None] = queue.Queue(maxsize=IN_FLIGHT)
    threading.Thread(target=_read_ahead, args=(sys.stdin.buffer, batches), daemon=True).start()
    failed = ""
    while (message := batches.get()) is not None:
        if failed:
            send(
                sink,
                ENCODER.encode(Refused(f"an earlier batch failed, so this one was not written: {failed}")),
            )
            continue
        try:
            last, head = _write(database, decode_request(message), chained, source, native)
        except (sqlite3.Error, StoreError) as error:
            failed = f"{type(error).__name__}: {error}"
            send(sink, ENCODER.encode(Refused(failed)))
            continue
        if checkpointer is not None:
            checkpointer.committed()
        if flusher is not None:
            flusher.committed()
        if native is not None:
            copied: tuple[str, int] | None = native.copied if source_path else None
        else:
            copied = (source.digest, source.copied) if source is not None else None
        send(sink, ENCODER.encode(Written(last, head, copied, native is not None)))
    if native is not None:
        if not failed:
            native.commit()
        native.close()
    if flusher is not None:
        flusher.stop()
    if checkpointer is not None:
        checkpointer.stop()
    else:  # loaded without a journal: now durable (the switch's commit syncs the file), then WAL
        database.execute(f"PRAGMA synchronous={synchronous}")
        with contextlib.suppress(sqlite3.Error):  # someone opened it after all: they made it WAL
            database.execute("PRAGMA journal_mode=WAL")
    if source is not None:
        source.close()
    database.close()
    if flusher is not None:
        flusher.close()  # after SQLite's own descriptors: closing one drops the process's locks


class SQLiteWriterProcess:
    """An ``EventLog`` whose appends run in a child process; reads go to ``reader``."""

    def __init__(
        self,
        path: str,
        reader: EventLog | None,
        *,
        synchronous: str = "NORMAL",
        chained: bool = True,
        codec: EventCodec | None = None,
        source: str | None = None,
    ) -> None:
        """``reader``: the same file's log, for reads, or None for a new file this writer fills
        alone until it is closed (a backtest's run log: loaded without a WAL, see the module;
        nothing is read through the writer meanwhile); ``synchronous``: FULL for the main ledger,
        NORMAL for a run log; ``chained=False`` only to measure the chain's cost; ``codec``
        lets ``append`` take events (else only ``append_encoded``); ``source``: a SQLite log
        that batches may copy rows from (an item whose second part is the row's notification id
        there: ``source_copies``)."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        mode = "chained" if chained else "unchained"
        self._codec = codec
        self._copies = source is not None
        self.copied: tuple[str, int] | None = None
        """The digest and count of the rows copied from the source, as of the last batch answered."""
        self.native: bool | None = None
        """Whether the writer loads batches in C (``bulk_loader``), once it has answered one."""
        self._process = subprocess.Popen(  # noqa: S603 -- our own module and our own files
            [
                sys.executable,
                "-m",
                "infrastructure.store.sqlite_writer",
                path,
                synchronous,
                mode,
                "alone" if reader is None else "shared",
                *([source] if source is not None else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to_writer: IO[bytes] = self._process.stdin
        _widen(self._to_writer)
        self._from_writer: IO[bytes] = self._process.stdout
        self._reader = reader
        self.alone = reader is None
        """Whether this writer fills a new file alone (see ``__init__``)."""
        self._in_flight = 0
        self._failed = ""
        """Why the writer failed (a batch rolled back, or the process gone), once reported: it
        takes no more batches, and draining what was in flight raises nothing more."""
        self._last = reader.last_notification_id() if reader is not None else 0
        self._head: tuple[int, bytes] | None = None
        """The chain's head after the last batch answered (None before the first)."""

    def append(self, events: Sequence[Event]) -> int:
        """Encode and send the batch (needs the codec); return the last id known so far."""
        if self._codec is None:
            raise NotImplementedError("this writer was made without a codec: use append_encoded")
        encode = self._codec.encode
        return self.append_encoded([(e, encode(e)) for e in events])

    def append_encoded(self, items: Sequence[tuple[Event, bytes | int]]) -> int:
        """Send the batch; return the last notification id known so far (an earlier batch's).
        With a source, an item may name a row to copy from there (its id instead of bytes).

        The batch is encoded before waiting for an earlier one, while the writer still works."""
        batch: SentBatch
        if self._copies:
            batch = AppendBatch(*split_batch(items))
        else:
            batch = AppendBatch(
                [e.originator_id for e, _ in items],
                [e.originator_version for e, _ in items],
                [e.TOPIC for e, _ in items],
                cast(list[bytes], [data for _, data in items]),  # bytes only: no source to copy from
                [],
            )
        self._post(ENCODER.encode(batch))
        return self._last

    def _post(self, message: bytes) -> None:
        # Send once fewer than IN_FLIGHT wait for an answer.
        if self._failed:
            raise StoreError(f"the log writer takes no more batches: {self._failed}")
        while self._in_flight >= IN_FLIGHT:
            self._answer()
        try:
            send(self._to_writer, message)
        except BrokenPipeError:
            self._failed = f"the log writer has stopped (exit code {self._process.poll()})"
            raise StoreError(self._failed) from None
        self._in_flight += 1

    def build_stream_key(self) -> None:
        """Ask for the log's stream key to be built after the batches sent so far: the end of a
        bulk load (``stream_key``), overlapping what this process does next. Later batches are
        inserted under the key; a failure (a stream version claimed twice) is raised like a
        batch's, at a later call."""
        self._post(ENCODER.encode(BuildStreamKey()))

    def flush(self) -> int:
        """Wait for the batches in flight; return the last notification id (raises once the
        writer has failed: its last id is not the log's last any more)."""
        self._wait()
        if self._failed:
            raise StoreError(self._failed)
        return self._last

    def commit(self) -> int:
        """Commit what the writer has loaded (the C loader keeps a new file's batches in one
        transaction, see the module) and return the last notification id; raises like ``flush``."""
        if not self._failed:
            self._post(ENCODER.encode(Commit()))
        return self.flush()

    def close(self) -> None:
        """Finish the batches in flight, commit them, and stop the writer (raises if the commit
        failed and no failure was reported before)."""
        try:
            if not self._failed:
                self.commit()
            self._wait()
        finally:
            with contextlib.suppress(BrokenPipeError):  # a writer already gone (reported before)
                self._to_writer.close()
            self._process.wait(timeout=60)

    def _wait(self) -> None:
        while self._in_flight:
            self._answer()

    def _answer(self) -> None:
        """The oldest batch's answer; the first failure is raised, later ones only drained."""
        self._in_flight -= 1
        message = receive(self._from_writer)
        if message is None:  # the process is gone: nothing more will be answered
            self._in_flight = 0
            if not self._failed:
                self._failed = f"the log writer stopped (exit code {self._process.wait()}); see its stderr"
                raise StoreError(self._failed)
            return
        try:
            answer = decode_answer(message)
        except ProtocolError as error:
            if not self._failed:
                self._failed = str(error)
                raise
            return
        if isinstance(answer, Written):
            self._last, self.native = answer.last, answer.native
            if answer.head is not None:
                self._head = answer.head
            if answer.copied is not None:
                self.copied = answer.copied
        elif not self._failed:  # the writer refuses every later batch for it
            self._failed = f"the log writer failed; the batch was rolled back: {answer.reason}"
            raise StoreError(self._failed)

    def stream_head(self, originator_id: UUID) -> Event | None:
        """Read through the reader (after the batches in flight)."""
        return self._readable().stream_head(originator_id)

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """Read through the reader (after the batches in flight)."""
        return self._readable().read_stream(originator_id, after_version, upto_version)

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Read through the reader (after the batches in flight)."""
        return self._readable().read(after, page_size, topics, decode_as)

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Read through the reader (after the batches in flight)."""
        return self._readable().read_stored(after, page_size)

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """Read through the reader (after the batches in flight)."""
        return self._readable().read_states(topic, after, page_size)

    def last_notification_id(self) -> int:
        """After the batch in flight."""
        return self.flush()

    def extend_chain(self) -> int:
        """Through the reader's store (after the batches in flight)."""
        extend: Any = getattr(self._readable(), "extend_chain")  # noqa: B009 -- the reader is an AuditTrail
        count: int = extend()
        return count

    def chain_head(self) -> tuple[int, bytes]:
        """Through the reader's store (after the batches in flight)."""
        head: Any = getattr(self._readable(), "chain_head")  # noqa: B009 -- the reader is an AuditTrail
        result: tuple[int, bytes] = head()
        return result

    def committed_head(self) -> tuple[int, bytes]:
        """The chain's head as of the last batch answered, without waiting for those in flight: a
        head the log has had, which a checkpoint may sign (``PeriodicCheckpoints``). Before any
        answer, the reader's head (after the batches in flight), or a new file's empty head."""
        if self._head is not None:
            return self._head
        return self.chain_head() if self._reader is not None else (0, GENESIS)

    def _readable(self) -> EventLog:
        # The reader, once the batches in flight are in.
        self._wait()
        if self._reader is None:
            raise StoreError("this writer fills a new file alone: read the file once the writer is closed")
        return self._reader

    def count_by_topic(self) -> dict[str, int]:
        """Through the reader (after the batches in flight)."""
        return self._readable().count_by_topic()


if __name__ == "__main__":
    serve(
        sys.argv[1],
        sys.argv[2],
        sys.argv[3] == "chained",
        sys.argv[5] if len(sys.argv) > 5 else None,
        alone=sys.argv[4] == "alone",
    )
