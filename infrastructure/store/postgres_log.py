"""The ``EventLog`` on PostgreSQL: COPY into the library's table under its lock, keyset reads.

Appending keeps the library's contract: in one transaction, take the table's
EXCLUSIVE lock (so commit order equals notification-id order), insert, and
NOTIFY the table's channel so subscribers wake. Rows go in with binary COPY,
several times faster than the library's INSERT..unnest for market data.
Notification ids can have gaps (a rolled-back insert spends some); readers
page by ``notification_id > last seen``, never by arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql
from psycopg.rows import tuple_row

from application.ports import AuditedEvent, ChainLink, RecordedEvent, StoredRecord
from domain.audit.chain import GENESIS, link
from domain.events import Event
from infrastructure.store.codec import EventCodec

TABLE = "ledger_events"
CHAIN_TABLE = "ledger_chain"


class PostgresEventLog:
    """Fast paths over one schema's ``ledger_events`` table."""

    def __init__(self, datastore: PostgresDatastore, codec: EventCodec) -> None:
        self._datastore = datastore
        self._codec = codec
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
        self._page_of_topics = sql.SQL(
            "SELECT notification_id, topic, state FROM {} WHERE notification_id > %s "
            "AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
        ).format(table)
        chain = sql.Identifier(datastore.schema, CHAIN_TABLE)
        self._copy_chain = sql.SQL(
            "COPY {} (notification_id, originator_id, originator_version, hash) FROM STDIN (FORMAT BINARY)"
        ).format(chain)
        self._chain_last = sql.SQL(
            "SELECT notification_id, hash FROM {} ORDER BY notification_id DESC LIMIT 1"
        ).format(chain)
        self._events_after = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)
        self._chain_lock = sql.SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(
            sql.Literal(f"memesnipe.chain.{datastore.schema}")
        )
        self._audited_page = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)
        self._chain_page = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, hash FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(chain)
        self._max_id = sql.SQL("SELECT COALESCE(MAX(notification_id), 0) FROM {}").format(table)
        self._counts = sql.SQL("SELECT topic, COUNT(*) FROM {} GROUP BY topic ORDER BY topic").format(table)

    def append(self, events: Sequence[Event]) -> int:
        """One transaction: lock, COPY, NOTIFY; return the last notification id."""
        encode = self._codec.encode
        return self.append_encoded([(e, encode(e)) for e in events])

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for events already encoded."""
        with self._datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            cursor.execute(self._lock_timeout)
            cursor.execute(self._lock)
            with cursor.copy(self._copy) as copy:
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for e, data in items:
                    copy.write_row((e.originator_id, e.originator_version, e.TOPIC, data))
            cursor.execute(self._notify)
            cursor.execute(self._last_id)
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def chain_head(self) -> tuple[int, bytes]:
        """(notification id, hash) of the chain's last link."""
        with self._datastore.get_connection() as conn:
            row = conn.cursor(row_factory=tuple_row, binary=True).execute(self._chain_last).fetchone()
        return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)

    def extend_chain(self) -> int:
        """Link the events the hash chain does not cover yet, in one transaction; return how many.

        An advisory lock keeps two passes apart; the library's table lock keeps commit order
        equal to id order, so no event can appear later behind the chain's head.
        """
        added = 0
        with self._datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(self._chain_lock)
            cursor.execute(self._chain_last)
            row = cursor.fetchone()
            after, head = (int(row[0]), bytes(row[1])) if row else (0, GENESIS)
            while True:
                rows = cursor.execute(self._events_after, (after, 50_000)).fetchall()
                if not rows:
                    return added
                links = []
                for notification_id, originator, version, topic, state in rows:
                    head = link(head, notification_id, originator.bytes, version, topic, bytes(state))
                    links.append((notification_id, originator, version, head))
                with cursor.copy(self._copy_chain) as copy:
                    copy.set_types(["int8", "uuid", "int8", "bytea"])
                    for item in links:
                        copy.write_row(item)
                added += len(links)
                after = rows[-1][0]

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
        self, after: int = 0, page_size: int = 10_000, topics: Sequence[str] = ()
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Pages after ``after`` in notification order (binary transfer, typed decoding)."""
        decode = self._codec.decode
        while True:
            with self._datastore.get_connection() as conn:
                cursor = conn.cursor(row_factory=tuple_row, binary=True)
                if topics:
                    cursor.execute(self._page_of_topics, (after, list(topics), page_size))
                else:
                    cursor.execute(self._page, (after, page_size))
                rows = cursor.fetchall()
            if not rows:
                return
            yield [RecordedEvent(r[0], decode(r[1], r[2])) for r in rows]
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

    def audited_events(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[AuditedEvent]]:
        """Stored events with the fields the chain covers."""
        for rows in self._pages(self._audited_page, after, page_size):
            yield [AuditedEvent(r[0], r[1].bytes, r[2], r[3], bytes(r[4])) for r in rows]

    def chain_links(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[ChainLink]]:
        """The stored chain."""
        for rows in self._pages(self._chain_page, after, page_size):
            yield [ChainLink(r[0], r[1].bytes, r[2], bytes(r[3])) for r in rows]

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
