"""The ``EventLog`` on SQLite: bulk inserts into the library's table, keyset reads.

Uses the library's datastore (its connection pool and writer lock) and its
``stored_events`` table (one file per application); the notification id is
the rowid. Each append links its events into the hash chain in its own
transaction (``sqlite_chain``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteDatastore

from application.ports import AuditedEvent, ChainLink, PackedStates, RecordedEvent, StoredRecord
from domain.events import Event
from infrastructure.store.bar_columns import StateReader
from infrastructure.store.chain_blocks import merged, unpack
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_chain import chain_head, extend_chain, insert_chained

TABLE = "stored_events"


def _packed_pages(
    reader: Any, topic: str, after: int, page_size: int
) -> Iterator[tuple[Sequence[int], PackedStates]]:
    """The reader's pages, each next one read on a thread while the caller works on this one (the
    C reader releases the interpreter lock: its SQLite reads run on the other core, beside the
    run log's writer)."""
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="page-reader")
    pending = ahead.submit(reader.page, topic, after, page_size)
    try:
        while (page := pending.result()) is not None:
            ids_bytes, blob, offsets = page
            ids = memoryview(ids_bytes).cast("q")
            pending = ahead.submit(reader.page, topic, ids[-1], page_size)
            yield ids, PackedStates(blob, memoryview(offsets).cast("q"))
    finally:
        with contextlib.suppress(Exception):  # a read under way ends before its connection closes
            pending.result()
        ahead.shutdown()
        reader.close()


class SQLiteEventLog:
    """Fast paths over the SQLite event table."""

    def __init__(
        self, datastore: SQLiteDatastore, codec: EventCodec, synchronous: str = "FULL", chained: bool = True
    ) -> None:
        """``chained=False`` appends without linking (only to measure the chain's cost: the
        events stay unlinked until ``extend_chain``, and ``audit verify`` counts them)."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        self._datastore = datastore
        self._codec = codec
        self._synchronous = f"PRAGMA synchronous={synchronous}"
        self._chained = chained

    def append(self, events: Sequence[Event]) -> int:
        """One transaction for the whole batch; return the last notification id."""
        encode = self._codec.encode
        return self.append_encoded([(e, encode(e)) for e in events])

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """One transaction for events already encoded; return the last notification id."""
        if not items:
            return self.last_notification_id()
        rows = [(e.originator_id.hex, e.originator_version, e.TOPIC, data) for e, data in items]
        with self._datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            cursor.execute(self._synchronous)
            # The write lock is taken at BEGIN, waiting for it up to the lock timeout. The library's
            # deferred BEGIN takes it at the first insert, after the chain's head was read; if another
            # connection to the file (the views' writer, another process) committed in between,
            # SQLite refuses at once ("database is locked") instead of waiting.
            cursor.execute("BEGIN IMMEDIATE")
            try:
                if self._chained:
                    cursor.sqlite_cursor.row_factory = None
                    last: int = insert_chained(cursor, rows)
                else:
                    cursor.executemany(f"INSERT INTO {TABLE} VALUES (?,?,?,?)", rows)
                    cursor.execute(f"SELECT MAX(rowid) FROM {TABLE}")
                    last = cursor.fetchone()[0] or 0
            except sqlite3.IntegrityError as e:  # a stream's version taken: as the library reports it
                connection.rollback()
                raise IntegrityError(e) from e
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        return last

    def chain_head(self) -> tuple[int, bytes]:
        """(notification id, hash) of the chain's last link."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.sqlite_cursor.row_factory = None
            return chain_head(cursor)

    def extend_chain(self) -> int:
        """Link the events the hash chain does not cover yet (one transaction); return how many."""
        with self._datastore.transaction(commit=True) as cursor:
            cursor.sqlite_cursor.row_factory = None
            return extend_chain(cursor)

    def stream_head(self, originator_id: UUID) -> Event | None:
        """The latest event of one stream (primary-key lookup)."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT topic, state FROM {TABLE} WHERE originator_id = ? "
                "ORDER BY originator_version DESC LIMIT 1",
                (originator_id.hex,),
            )
            row = cursor.fetchone()
        return self._codec.decode(row[0], row[1]) if row else None

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """One stream's events in a version range (primary-key range scan)."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.sqlite_cursor.row_factory = None
            cursor.execute(
                f"SELECT rowid, topic, state FROM {TABLE} WHERE originator_id = ? "
                "AND originator_version > ? AND originator_version <= ? ORDER BY originator_version",
                (originator_id.hex, after_version, upto_version),
            )
            rows = cursor.fetchall()
        decode = self._codec.decode
        return [RecordedEvent(r[0], decode(r[1], r[2])) for r in rows]

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Pages after ``after`` in rowid order, decoded with typed decoders."""
        decode_page = self._codec.decode_page
        where = f" AND topic IN ({','.join('?' * len(topics))})" if topics else ""
        statement = f"SELECT rowid, topic, state FROM {TABLE} WHERE rowid > ?{where} ORDER BY rowid LIMIT ?"
        while True:
            with self._datastore.transaction(commit=False) as cursor:
                cursor.sqlite_cursor.row_factory = None  # plain tuples: faster than sqlite3.Row
                cursor.execute(statement, (after, *topics, page_size))
                rows = cursor.fetchall()
            if not rows:
                return
            yield decode_page(rows, decode_as)
            after = rows[-1][0]

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Pages of stored bytes after ``after``."""
        statement = f"SELECT rowid, topic, state FROM {TABLE} WHERE rowid > ? ORDER BY rowid LIMIT ?"
        while True:
            with self._datastore.transaction(commit=False) as cursor:
                cursor.sqlite_cursor.row_factory = None
                cursor.execute(statement, (after, page_size))
                rows = cursor.fetchall()
            if not rows:
                return
            yield [StoredRecord(r[0], r[1], r[2]) for r in rows]
            after = rows[-1][0]

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """Pages of one topic's stored bytes after ``after``, with their notification ids: from a
        file, packed (``PackedStates``, read in C by ``_bar_columns.c`` where it was built, on a
        read-only connection of its own); else as a list."""
        pool = self._datastore.pool
        if StateReader is not None and not pool.is_sqlite_memory_mode:
            yield from _packed_pages(StateReader(pool.db_name), topic, after, page_size)
            return
        statement = f"SELECT rowid, state FROM {TABLE} WHERE rowid > ? AND topic = ? ORDER BY rowid LIMIT ?"
        while True:
            with self._datastore.transaction(commit=False) as cursor:
                cursor.sqlite_cursor.row_factory = None
                cursor.execute(statement, (after, topic, page_size))
                rows = cursor.fetchall()
            if not rows:
                return
            ids, states = zip(*rows, strict=True)
            yield ids, states
            after = ids[-1]

    def audited_events(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[AuditedEvent]]:
        """Stored events with the fields the chain covers."""
        for rows in self._pages(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            after,
            page_size,
        ):
            yield [AuditedEvent(r[0], bytes.fromhex(r[1]), r[2], r[3], bytes(r[4])) for r in rows]

    def chain_links(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[ChainLink]]:
        """The stored chain: the blocks' links, merged with any per-event links from before blocks."""
        older = (
            [ChainLink(r[0], bytes.fromhex(r[1]), r[2], bytes(r[3])) for r in rows]
            for rows in self._pages(
                "SELECT notification_id, originator_id, originator_version, hash FROM stored_chain "
                "WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
                after,
                page_size,
            )
        )
        return merged(older, self._blocks(after), page_size)

    def _blocks(self, after: int) -> Iterator[Sequence[ChainLink]]:
        # The first block may start at or before ``after``: its earlier links are dropped.
        for rows in self._pages(
            "SELECT last_id, links FROM stored_chain_blocks WHERE last_id > ? ORDER BY last_id LIMIT ?",
            after,
            8,
        ):
            for _last, body in rows:
                yield [item for item in unpack(body) if item.notification_id > after]

    def _pages(self, statement: str, after: int, page_size: int) -> Iterator[list[Any]]:
        while True:
            with self._datastore.transaction(commit=False) as cursor:
                cursor.sqlite_cursor.row_factory = None
                cursor.execute(statement, (after, page_size))
                rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def last_notification_id(self) -> int:
        """Highest rowid, 0 when empty."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT MAX(rowid) FROM {TABLE}")
            last: int = cursor.fetchone()[0] or 0
        return last

    def count_by_topic(self) -> dict[str, int]:
        """Events per topic."""
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT topic, COUNT(*) FROM {TABLE} GROUP BY topic ORDER BY topic")
            return {row[0]: row[1] for row in cursor.fetchall()}
