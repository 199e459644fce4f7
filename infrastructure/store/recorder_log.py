"""An ``EventLog`` over any of the library's application recorders (used for memory).

It goes through the library's own insert and select calls, so it is the
reference the fast SQLite and PostgreSQL paths are tested against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from application.ports import RecordedEvent, StoredRecord
from domain.events import Event
from infrastructure.store.codec import EventCodec


class RecorderEventLog:
    """The log through the library's recorder interface."""

    def __init__(self, recorder: ApplicationRecorder, codec: EventCodec) -> None:
        self._recorder = recorder
        self._codec = codec

    def append(self, events: Sequence[Event]) -> int:
        """Insert in one call (one transaction); return the last notification id."""
        return self.append_encoded([(e, self._codec.encode(e)) for e in events])

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for events already encoded."""
        stored = [StoredEvent(e.originator_id, e.originator_version, e.TOPIC, data) for e, data in items]
        ids = self._recorder.insert_events(stored)
        return ids[-1] if ids else self.last_notification_id()

    def stream_head(self, originator_id: UUID) -> Event | None:
        """The latest event of one stream."""
        rows = self._recorder.select_events(originator_id, desc=True, limit=1)
        return self._codec.decode(rows[0].topic, rows[0].state) if rows else None

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """One stream's events in a version range (the memory store scans: it has no id index)."""
        return [
            recorded
            for page in self.read()
            for recorded in page
            if recorded.event.originator_id == originator_id
            and after_version < recorded.event.originator_version <= upto_version
        ]

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Pages of events after ``after``, in notification order."""
        while True:
            page = self._recorder.select_notifications(
                after, page_size, topics=topics, inclusive_of_start=False
            )
            if not page:
                return
            yield self._codec.decode_page([(n.id, n.topic, n.state) for n in page], decode_as)
            after = page[-1].id

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Pages of stored bytes after ``after``."""
        while page := self._recorder.select_notifications(after, page_size, inclusive_of_start=False):
            yield [StoredRecord(n.id, n.topic, n.state) for n in page]
            after = page[-1].id

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """Pages of one topic's stored bytes after ``after``, with their notification ids."""
        while page := self._recorder.select_notifications(
            after, page_size, topics=[topic], inclusive_of_start=False
        ):
            yield [n.id for n in page], [n.state for n in page]
            after = page[-1].id

    def last_notification_id(self) -> int:
        """Highest notification id, 0 when empty."""
        return self._recorder.max_notification_id() or 0

    def count_by_topic(self) -> dict[str, int]:
        """Events per topic (a full scan: this backend is for tests and small logs)."""
        counts: Counter[str] = Counter()
        for page in self._pages_of_topics():
            counts.update(page)
        return dict(sorted(counts.items()))

    def _pages_of_topics(self) -> Iterator[list[str]]:
        after = 0
        while page := self._recorder.select_notifications(after, 10_000, inclusive_of_start=False):
            yield [n.topic for n in page]
            after = page[-1].id
