"""Running projections over the log into their views, exactly once.

Each batch of events is applied to every projection in memory, then the new
versions and every projection's position are committed in one transaction: a
crash loses at most an uncommitted batch, which is re-applied on restart.
A store may commit in the background while the projections compute the next batch (``flush``
waits); ``run_once`` returns only when everything it applied is committed.
A restarted runner rebuilds each projection's in-memory state by replaying the
log up to the position its view holds, discarding the versions the view already
has (projections are deterministic, so the replay makes the same versions, with
the same ``seq``), then goes on from there. The cost of a restart is therefore a
replay of the log in memory; the view is never written twice.
Pages (and so commits) are large by default: catching up, fewer and larger commits mean fewer
transactions and WAL checkpoints; a runner that follows the log commits whatever has arrived.
The log is asked to decode a topic into a lighter struct when every projection that reads the
topic reads only that struct's fields (``Projection.partial``: the portfolio reads a bar's close).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from application.ports import EventLog, RecordedEvent
from application.read_models.ports import ReadModelStore
from projections import ALL
from projections.base import Projection, Version


@dataclass(frozen=True)
class BatchReport:
    """What one ``run_once`` did."""

    events_read: int
    last_notification_id: int
    versions_written: int


class ProjectionRunner:
    """Applies new events to projections and commits their views."""

    def __init__(
        self,
        log: EventLog,
        store: ReadModelStore,
        projection_types: Sequence[type[Projection]] = ALL,
        page_size: int = 50_000,
    ) -> None:
        self.log = log
        self.store = store
        self.projections = [cls() for cls in projection_types]
        self.page_size = page_size
        stored = store.positions()
        self.committed = {p.name: stored.get(p.name, 0) for p in self.projections}
        self._topics = sorted({topic for p in self.projections for topic in p.topics})
        self._readers = {
            topic: tuple(p for p in self.projections if topic in p.topics) for topic in self._topics
        }
        handlers = [p.handlers() for p in self.projections]
        self._appliers = {topic: tuple(h[topic] for h in handlers if topic in h) for topic in self._topics}
        self._decode_as = _partial_topics(self._readers)

    def lag(self) -> dict[str, int]:
        """Notification ids between the log's head and each projection's committed position."""
        head = self.log.last_notification_id()
        return {name: max(0, head - position) for name, position in self.committed.items()}

    def run_once(self, stop_at: int | None = None) -> BatchReport:
        """Apply and commit everything up to the log's head (or ``stop_at``), a page at a time."""
        head = self.log.last_notification_id()
        if stop_at is not None:
            head = min(head, stop_at)
        start = min(p.position for p in self.projections)
        read = written = 0
        try:
            for page in self.log.read(start, self.page_size, self._topics, self._decode_as):
                if page and page[-1].notification_id <= head and page[0].notification_id > self._furthest():
                    last = self._apply(page)  # the usual case: every reader takes every event
                    read += len(page)
                else:
                    last, applied = self._apply_checked(page, head, start)
                    read += applied
                written += self._commit(min(last, head))
                if last >= head:
                    break
            written += self._commit(head)  # events the projections do not read still move them on
        finally:
            self.store.flush()
        return BatchReport(read, head, written)

    def _furthest(self) -> int:
        return max(p.position for p in self.projections)

    def _apply(self, page: Sequence[RecordedEvent]) -> int:
        # A page wholly after every projection's position and up to the head: no checks per event.
        appliers = self._appliers
        for recorded in page:
            event = recorded.event
            for apply in appliers[event.TOPIC]:
                apply(recorded.notification_id, event)
        return page[-1].notification_id

    def _apply_checked(self, page: Sequence[RecordedEvent], head: int, start: int) -> tuple[int, int]:
        # Events up to the head, each to the projections not yet past it; (last id, events applied).
        last = start
        applied = 0
        readers = self._readers
        for recorded in page:
            last = recorded.notification_id
            if last > head:
                break
            event = recorded.event
            for projection in readers[event.TOPIC]:
                if last > projection.position:
                    projection.apply(last, event)
            applied += 1
        return last, applied

    def close(self) -> None:
        """Wait for the commits in flight."""
        self.store.flush()

    def _commit(self, upto: int) -> int:
        changes: dict[str, list[Version]] = {}
        positions: dict[str, int] = {}
        for projection in self.projections:
            if upto <= projection.position:
                continue
            projection.position = upto
            stored = self.committed[projection.name]
            for table, versions in projection.take_changes().items():
                # in valid_from order: all fresh unless the first one is already stored
                fresh = (
                    versions
                    if versions[0].valid_from > stored
                    else [v for v in versions if v.valid_from > stored]
                )
                if fresh:
                    changes.setdefault(table, []).extend(fresh)
            if upto > stored:
                positions[projection.name] = upto
        if positions:
            self.store.commit(positions, changes)
            self.committed.update(positions)
        return sum(len(v) for v in changes.values())


def _partial_topics(readers: Mapping[str, Sequence[Projection]]) -> dict[str, type[Any]]:
    """The topics every reader of which reads the same partial struct (to decode them into it)."""
    partial: dict[str, type[Any]] = {}
    for topic, projections in readers.items():
        kinds = {p.partial.get(topic) for p in projections}
        kind = kinds.pop()
        if kind is not None and not kinds:
            partial[topic] = kind
    return partial
