"""What is in the log: events per topic and the imports recorded in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ports import EventLog
from domain.events import MarketDataImported


@dataclass(frozen=True)
class LogSummary:
    """A summary for people: counts per topic, the last id, every import."""

    last_notification_id: int
    events_by_topic: dict[str, int]
    imports: list[MarketDataImported] = field(default_factory=list)

    @property
    def total_events(self) -> int:
        """All events in the log."""
        return sum(self.events_by_topic.values())


def summarise(log: EventLog) -> LogSummary:
    """Count events by topic and collect the import markers, in log order."""
    imports = [
        recorded.event
        for page in log.read(0, 10_000, topics=[MarketDataImported.TOPIC])
        for recorded in page
        if isinstance(recorded.event, MarketDataImported)
    ]
    return LogSummary(log.last_notification_id(), log.count_by_topic(), imports)
