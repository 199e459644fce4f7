"""Fakes for the metrics tests: a log and a view store that keep everything in lists."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from application.ports import RecordedEvent, StoredRecord
from application.read_models.ports import RowQuery, StoredVersion
from domain.events import Event
from projections.base import Row, Table


class FakeLog:
    """An ``EventLog`` in a list; ``fail_with`` makes the next append raise."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.fail_with: Exception | None = None

    def append(self, events: Sequence[Event]) -> int:
        if self.fail_with is not None:
            raise self.fail_with
        self.events += events
        return len(self.events)

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        return self.append([event for event, _ in items])

    def stream_head(self, originator_id: UUID) -> Event | None:
        mine = [e for e in self.events if e.originator_id == originator_id]
        return mine[-1] if mine else None

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        return [
            RecordedEvent(i, e)
            for i, e in enumerate(self.events, 1)
            if e.originator_id == originator_id and after_version < e.originator_version <= upto_version
        ]

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        yield [
            RecordedEvent(i, e)
            for i, e in enumerate(self.events, 1)
            if i > after and (not topics or e.TOPIC in topics)
        ]

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        yield [StoredRecord(i, e.TOPIC, b"") for i, e in enumerate(self.events, 1) if i > after]

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        ids = [i for i, e in enumerate(self.events, 1) if i > after and topic == e.TOPIC]
        for start in range(0, len(ids), page_size):
            yield ids[start : start + page_size], [b""] * len(ids[start : start + page_size])

    def last_notification_id(self) -> int:
        return len(self.events)

    def count_by_topic(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.TOPIC] = counts.get(event.TOPIC, 0) + 1
        return dict(sorted(counts.items()))


class AuditedFakeLog(FakeLog):
    """A log that also has the audit trail's ``extend_chain``."""

    def extend_chain(self) -> int:
        return 7


class FakeViews:
    """A ``ViewReader`` over versions in lists, with the SQL store's query semantics."""

    def __init__(self) -> None:
        self.tables: dict[str, list[StoredVersion]] = {}
        self.tracking: dict[str, int] = {}
        self.rows_read = 0
        self.broken = False

    def put(self, table: Table, row: Row, valid_from: int) -> None:
        """A new version (closing the key's current one, for a state table)."""
        versions = self.tables.setdefault(table.name, [])
        if table.state:
            key = table.key_of()
            for i, old in enumerate(versions):
                if old.valid_to is None and key(old.row) == key(row):
                    versions[i] = replace(old, valid_to=valid_from)
        versions.append(StoredVersion(len(versions) + 1, valid_from, None, row))

    def drop(self, table: Table) -> None:
        self.tables.pop(table.name, None)

    def positions(self) -> dict[str, int]:
        if self.broken:
            raise ConnectionError("database is down")
        return dict(self.tracking)

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        if self.broken:
            raise ConnectionError("database is down")
        found = [
            v
            for v in self.tables.get(query.table.name, [])
            if (query.all_versions or v.valid_to is None)
            and all(getattr(v.row, c) == value for c, value in dict(query.where).items())
            and (query.ts_from is None or v.row.ts >= query.ts_from)
            and (query.ts_to is None or v.row.ts <= query.ts_to)
        ]
        if query.newest_first:
            found = [v for v in reversed(found) if query.after is None or v.seq < query.after]
        else:
            found = [v for v in found if query.after is None or v.seq > query.after]
        self.rows_read += len(found[: query.limit])
        return found[: query.limit]
