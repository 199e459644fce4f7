"""The ``EventLog`` on PostgreSQL: COPY into the library's table under its lock, keyset reads.

Appending keeps the library's contract: in one transaction, take the table's
EXCLUSIVE lock (so commit order equals notification-id order), insert, and
NOTIFY the table's channel so subscribers wake. The same transaction links the
batch into the hash chain and stores its block of links (``chain_blocks``): the
links are hashed while the server is still inserting the COPY's rows. Rows go in
with binary COPY rather than the library's INSERT..unnest, which is much slower for
market data.
Notification ids can have gaps (a rolled-back insert spends some); readers
page by ``notification_id > last seen``, never by arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql
from psycopg.rows import tuple_row

from application.ports import AuditedEvent, ChainLink, RecordedEvent, StoredRecord
from domain.audit.chain import GENESIS
from domain.events import Event
from infrastructure.store.chain_blocks import merged, unpack
from infrastructure.store.chain_linker import link_block
from infrastructure.store.codec import EventCodec

TABLE = "ledger_events"
CHAIN_TABLE = "ledger_chain"
BLOCKS_TABLE = "ledger_chain_blocks"


class PostgresEventLog:
    """Fast paths over one schema's ``ledger_events`` table."""

    def __init__(self, datastore: PostgresDatastore, codec: EventCodec, chained: bool = True) -> None:
        """``chained=False`` appends without linking (only to measure the chain's cost: the
        events stay unlinked until ``extend_chain``, and ``audit verify`` counts them)."""
        self._datastore = datastore
        self._codec = codec
        self._chained = chained
        table = sql.Identifier(datastore.schema, TABLE)
        self._lock = sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table)
        self._lock_timeout = sql.SQL("SET LOCAL lock_timeout = '{}s'").format(
            sql.Literal(datastore.lock_timeout)
        )
        self._copy = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
        ).format(table)
        self._notify = sql.SQL("NOTIFY {}").format(sql.Identifier(TABLE))
        self._last_id = sql.SQL("SELECT currval(pg_get_serial_sequence({}, 'notification_id'))").format(
            sql.Literal(f"{datastore.schema}.{TABLE}")
        )
        self._head = sql.SQL(
            "SELECT topic, state FROM {} WHERE originator_id = %s ORDER BY originator_version DESC LIMIT 1"
        ).format(table)
        self._stream = sql.SQL(
            "SELECT notification_id, topic, state FROM {} WHERE originator_id = %s "
            "AND originator_version > %s AND originator_version <= %s ORDER BY originator_version"
        ).format(table)
        self._page = sql.SQL(
            "SELECT notification_id, topic, state FROM {} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(table)
        # A page of some topics is read along the notification-id index, never by sorting the rows
        # the filter keeps: without statistics (a log just loaded, autovacuum not yet by) the planner
        # may take a bitmap scan of everything after ``after`` and an external sort, far slower.
        self._in_id_order = sql.SQL(
            "SELECT set_config('enable_sort', 'off', true), set_config('jit', 'off', true)"
        )
        self._page_of_topics = sql.SQL(
            "SELECT notification_id, topic, state FROM {} WHERE notification_id > %s "
            "AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
        ).format(table)
        chain = sql.Identifier(datastore.schema, CHAIN_TABLE)
        blocks = sql.Identifier(datastore.schema, BLOCKS_TABLE)
        self._insert_block = sql.SQL("INSERT INTO {} (last_id, first_id, links) VALUES (%s, %s, %s)").format(
            blocks
        )
        self._chain_last = sql.SQL(
            "SELECT notification_id, hash FROM {} ORDER BY notification_id DESC LIMIT 1"
        ).format(chain)
        self._block_last = sql.SQL(
            "SELECT last_id, substring(links FROM length(links) - 31) FROM {} ORDER BY last_id DESC LIMIT 1"
        ).format(blocks)
        self._events_after = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)
        self._audited_page = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)
        self._chain_page = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, hash FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(chain)
        self._block_page = sql.SQL(
            "SELECT last_id, links FROM {} WHERE last_id > %s ORDER BY last_id LIMIT %s"
        ).format(blocks)
        self._max_id = sql.SQL("SELECT COALESCE(MAX(notification_id), 0) FROM {}").format(table)
        self._counts = sql.SQL("SELECT topic, COUNT(*) FROM {} GROUP BY topic ORDER BY topic").format(table)

    def append(self, events: Sequence[Event]) -> int:
        """One transaction: lock, COPY, NOTIFY; return the last notification id."""
        encode = self._codec.encode
        return self.append_encoded([(e, encode(e)) for e in events])

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for events already encoded."""
        with self._datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(self._lock_timeout)
            cursor.execute(self._lock)
            if self._chained and items:
                last = self._append_chained(cursor, items)
            else:
                self._copy_events(cursor, items)
                last = self._current_id(cursor)
            cursor.execute(self._notify)
        return last

    def _append_chained(self, cursor: Any, items: Sequence[tuple[Event, bytes]]) -> int:
        # Under the table's lock. The new rows take the next ids of the sequence: when they
        # follow the largest id without a gap (the usual case: a gap needs a rolled-back insert),
        # their links are computed while the COPY is still being inserted; otherwise, or when
        # an earlier append left events unlinked, the new rows are read back and linked.
        after, head = self._chain_head_in(cursor)
        before = self._max_id_in(cursor)
        predicted = b""
        with cursor.copy(self._copy) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            write_row = copy.write_row
            for e, data in items:
                write_row((e.originator_id, e.originator_version, e.TOPIC, data))
            if after == before:
                predicted, _ = link_block(
                    head,
                    range(before + 1, before + 1 + len(items)),
                    _originators(items),
                    [e.originator_version for e, _ in items],
                    [e.TOPIC for e, _ in items],
                    [data for _, data in items],
                )
        last = self._current_id(cursor)
        if predicted and last == before + len(items):
            cursor.execute(self._insert_block, (last, before + 1, predicted))
        else:
            self._link_after(cursor, *self._chain_head_in(cursor))
        return last

    def _copy_events(self, cursor: Any, items: Sequence[tuple[Event, bytes]]) -> None:
        with cursor.copy(self._copy) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for e, data in items:
                copy.write_row((e.originator_id, e.originator_version, e.TOPIC, data))

    def _current_id(self, cursor: Any) -> int:
        cursor.execute(self._last_id)
        row = cursor.fetchone()
        return int(row[0]) if row else 0

    def _max_id_in(self, cursor: Any) -> int:
        cursor.execute(self._max_id)
        row = cursor.fetchone()
        return int(row[0]) if row else 0

    def _chain_head_in(self, cursor: Any) -> tuple[int, bytes]:
        # The chain's last link: the last block's, or a per-event link from before blocks.
        block = cursor.execute(self._block_last).fetchone()
        row = cursor.execute(self._chain_last).fetchone()
        if block and (not row or block[0] > row[0]):
            return int(block[0]), bytes(block[1])
        return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)

    def _link_after(self, cursor: Any, after: int, head: bytes) -> int:
        # Link the stored events after ``after``, one block per page; return how many.
        added = 0
        while True:
            rows = cursor.execute(self._events_after, (after, 50_000)).fetchall()
            if not rows:
                return added
            ids, originators, versions, topics, states = zip(*rows, strict=True)
            body, head = link_block(head, ids, [o.bytes for o in originators], versions, topics, states)
            cursor.execute(self._insert_block, (ids[-1], ids[0], body))
            added += len(rows)
            after = rows[-1][0]

    def chain_head(self) -> tuple[int, bytes]:
        """(notification id, hash) of the chain's last link."""
        with self._datastore.get_connection() as conn:
            return self._chain_head_in(conn.cursor(row_factory=tuple_row, binary=True))

    def extend_chain(self) -> int:
        """Link the events the hash chain does not cover yet, in one transaction; return how many.

        Under the table's lock, like an append, so no event can commit behind the chain's head.
        """
        with self._datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(self._lock_timeout)
            cursor.execute(self._lock)
            return self._link_after(cursor, *self._chain_head_in(cursor))

    def stream_head(self, originator_id: UUID) -> Event | None:
        """The latest event of one stream (primary-key lookup)."""
        with self._datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(self._head, (originator_id,))
            row = cursor.fetchone()
        return self._codec.decode(row[0], row[1]) if row else None

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """One stream's events in a version range (primary-key range scan)."""
        with self._datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(self._stream, (originator_id, after_version, upto_version))
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
        """Pages after ``after`` in notification order (binary transfer, typed decoding)."""
        decode_page = self._codec.decode_page
        while True:
            with self._datastore.get_connection() as conn:
                cursor = conn.cursor(row_factory=tuple_row, binary=True)
                if topics:
                    with conn.transaction():
                        cursor.execute(self._in_id_order)  # for this transaction only
                        cursor.execute(self._page_of_topics, (after, list(topics), page_size))
                        rows = cursor.fetchall()
                else:
                    rows = cursor.execute(self._page, (after, page_size)).fetchall()
            if not rows:
                return
            yield decode_page(rows, decode_as)
            after = rows[-1][0]

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Pages of stored bytes after ``after``."""
        while True:
            with self._datastore.get_connection() as conn:
                cursor = conn.cursor(row_factory=tuple_row, binary=True)
                rows = cursor.execute(self._page, (after, page_size)).fetchall()
            if not rows:
                return
            yield [StoredRecord(r[0], r[1], bytes(r[2])) for r in rows]
            after = rows[-1][0]

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """Pages of one topic's stored bytes after ``after``, with their notification ids."""
        while True:
            with self._datastore.get_connection() as conn:
                cursor = conn.cursor(row_factory=tuple_row, binary=True)
                with conn.transaction():
                    cursor.execute(self._in_id_order)  # for this transaction only
                    rows = cursor.execute(self._page_of_topics, (after, [topic], page_size)).fetchall()
            if not rows:
                return
            yield [r[0] for r in rows], [bytes(r[2]) for r in rows]
            after = rows[-1][0]

    def audited_events(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[AuditedEvent]]:
        """Stored events with the fields the chain covers."""
        for rows in self._pages(self._audited_page, after, page_size):
            yield [AuditedEvent(r[0], r[1].bytes, r[2], r[3], bytes(r[4])) for r in rows]

    def chain_links(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[ChainLink]]:
        """The stored chain: the blocks' links, merged with any per-event links from before blocks."""
        older = (
            [ChainLink(r[0], r[1].bytes, r[2], bytes(r[3])) for r in rows]
            for rows in self._pages(self._chain_page, after, page_size)
        )
        return merged(older, self._blocks(after), page_size)

    def _blocks(self, after: int) -> Iterator[Sequence[ChainLink]]:
        # The first block may start at or before ``after``: its earlier links are dropped.
        for rows in self._pages(self._block_page, after, 8):
            for _last, body in rows:
                yield [item for item in unpack(bytes(body)) if item.notification_id > after]

    def _pages(self, statement: sql.Composed, after: int, page_size: int) -> Iterator[list[Any]]:
        while True:
            with self._datastore.get_connection() as conn:
                rows = (
                    conn.cursor(row_factory=tuple_row, binary=True)
                    .execute(statement, (after, page_size))
                    .fetchall()
                )
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def last_notification_id(self) -> int:
        """Highest notification id, 0 when empty."""
        with self._datastore.get_connection() as conn:
            row = conn.cursor(row_factory=tuple_row).execute(self._max_id).fetchone()
        return int(row[0]) if row else 0

    def count_by_topic(self) -> dict[str, int]:
        """Events per topic."""
        with self._datastore.get_connection() as conn:
            rows = conn.cursor(row_factory=tuple_row).execute(self._counts).fetchall()
        return {topic: int(count) for topic, count in rows}


def _originators(items: Sequence[tuple[Event, bytes]]) -> list[bytes]:
    # The events' originator ids as 16 bytes, each computed once per batch (a batch is mostly
    # one stream).
    known: dict[UUID, bytes] = {}
    out = []
    for e, _ in items:
        originator = known.get(e.originator_id)
        if originator is None:
            originator = known[e.originator_id] = e.originator_id.bytes
        out.append(originator)
    return out
