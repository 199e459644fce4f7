"""Why did this order happen: the chain of causes and consequences of one order, from the log.

From the log alone: the session's configuration (the strategy and its limits), the
bars the signal was computed from (the strategy's lookback, up to the bar that caused
it), the signal with its values, the risk decision with the limits version and its
numbers, the submission, and every venue report and fill with the position after it.
One pass over the log (fast enough for a run's log; the read side will index it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from application.ports import EventLog, RecordedEvent
from domain.events import (
    Bar,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    SignalGenerated,
    VenueOrderFilled,
    VenueReport,
)
from domain.ids import derive_id
from domain.strategies import STRATEGIES


@dataclass
class OrderStory:
    """Everything the log says about one order, in log order."""

    order_id: UUID
    session: SessionStarted | None = None
    inputs: list[RecordedEvent] = field(default_factory=list)
    signal: RecordedEvent | None = None
    decision: RecordedEvent | None = None
    submitted: RecordedEvent | None = None
    reports: list[RecordedEvent] = field(default_factory=list)
    position_after: list[tuple[int, Decimal]] = field(default_factory=list)
    """(notification id of a fill, the strategy's position after it)"""

    @property
    def found(self) -> bool:
        """Whether the log holds a decision about this order."""
        return self.decision is not None

    def steps(self) -> list[tuple[str, RecordedEvent]]:
        """The story as labelled events in log order: inputs, signal, decision, submission, reports."""
        labelled = [("input", r) for r in self.inputs]
        for label, recorded in (
            ("signal", self.signal),
            ("risk decision", self.decision),
            ("submitted", self.submitted),
        ):
            if recorded is not None:
                labelled.append((label, recorded))
        return labelled + [("venue report", r) for r in self.reports]


def explain_order(log: EventLog, order_id: UUID) -> OrderStory:
    """The story of ``order_id`` (``found`` is False when the log never decided on it)."""
    story = OrderStory(order_id)
    lookback: dict[str, int] = {}
    recent: dict[UUID, deque[RecordedEvent]] = {}
    strategy_of: dict[UUID, str] = {}
    position: dict[str, Decimal] = {}
    fills_seen: set[str] = set()
    for page in log.read():
        for recorded in page:
            event = recorded.event
            if isinstance(event, Bar):
                window = recent.get(event.originator_id)
                if window is None:
                    window = recent[event.originator_id] = deque(maxlen=max(lookback.values(), default=1))
                window.append(recorded)
            elif isinstance(event, SessionStarted):
                story.session = story.session or event
                for config in event.strategies:
                    logic = STRATEGIES.get(config.name)
                    lookback[config.strategy_id] = logic(dict(config.params)).lookback if logic else 1
            elif isinstance(event, SignalGenerated):
                if derive_id("order", str(event.originator_id), str(event.originator_version)) == order_id:
                    story.signal = recorded
                    bars = recent.get(event.cause.stream, deque())
                    depth = lookback.get(event.strategy_id, 1)
                    upto = [b for b in bars if b.event.originator_version <= event.cause.version]
                    story.inputs = upto[-depth:]
            elif isinstance(event, OrderApproved | OrderDenied) and event.order_id == order_id:
                story.decision = recorded
            elif isinstance(event, OrderSubmitted):
                strategy_of[event.order_id] = event.strategy_id
                if event.order_id == order_id:
                    story.submitted = recorded
            elif isinstance(event, VenueReport):
                strategy = strategy_of.get(event.order_id)
                if (
                    isinstance(event, VenueOrderFilled)
                    and strategy is not None
                    and event.trade_id not in fills_seen
                ):
                    fills_seen.add(event.trade_id)  # the engine ignores repeats; so does the story
                    signed = event.quantity if event.side == "buy" else -event.quantity
                    position[strategy] = position.get(strategy, Decimal(0)) + signed
                if event.order_id == order_id:
                    story.reports.append(recorded)
                    if isinstance(event, VenueOrderFilled) and strategy is not None:
                        story.position_after.append((recorded.notification_id, position[strategy]))
    return story
