"""Why did this breaker trip, and what did it do: the story of one ``risk.Breaker.Changed``, from the log.

A breaker change names its cause (``cause``: the input being handled when it moved):
the bar whose marks crossed a drawdown or daily-loss tier, the operator's command, the
venue report (acknowledgement latency, a fill's slippage, a rejection) that tipped the
execution-quality window, or, when an execution breaker's cool-down ends during an
order check, its previous change. The change itself carries the reason and the measured
values (drawdown, daily loss, equity, high-water mark) and the version of the limits.

The story: the limits in force (the session's, or the last accepted change of them), the
triggering input (for a cool-down: the bar whose order check found it over, the signal, and
the change that opened the breaker), for an execution breaker the recent venue reports its
rolling window judged, then what the new state did until that breaker moved again: the orders it denied
(``halted`` / ``reducing_only`` for the account or the strategy, ``execution_quality`` for
a venue) and, in EMERGENCY, the positions it flattened (orders and fills). One pass.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.ports import EventLog, RecordedEvent
from domain.events import (
    BreakerChanged,
    Event,
    EventRef,
    LimitsChanged,
    OperatorCommandRefused,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    SignalGenerated,
    VenueOrderAccepted,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.risk.limits import RiskLimits, StrategyLimits

_FIELDS = {
    "account": (
        "drawdown_warning_pct",
        "drawdown_halt_pct",
        "drawdown_emergency_pct",
        "daily_loss_warning_pct",
        "daily_loss_halt_pct",
        "recovery_steps_pct",
        "recovery_interval_ns",
    ),
    "strategy": ("strategy_drawdown_halt_pct", "recovery_steps_pct", "recovery_interval_ns"),
    "execution": (
        "max_ack_latency_ns",
        "max_slippage_bps",
        "max_venue_error_pct",
        "execution_window",
        "execution_min_samples",
        "execution_cooldown_ns",
    ),
}
_DENIES = {"REDUCING": {"reducing_only"}, "HALTED": {"halted"}, "EMERGENCY": {"halted"}}
_RECENT_INPUTS = 4_096
"""Inputs kept to resolve a cause: a change is recorded while its cause is being handled."""


@dataclass
class BreakerStory:
    """Everything the log says about one breaker change, in log order."""

    notification_id: int
    topic: str | None = None
    """The topic of the event at ``notification_id`` (None: no such event)."""
    change: RecordedEvent | None = None
    limits: RiskLimits | None = None
    limits_from: RecordedEvent | None = None
    """The session configuration or the limits change that put ``limits`` in force."""
    trigger: RecordedEvent | None = None
    previous: RecordedEvent | None = None
    """An execution breaker's cool-down: the change that opened it (the change's recorded cause)."""
    signal: RecordedEvent | None = None
    """... and the signal whose order check found the cool-down over (its bar is the trigger)."""
    window: list[RecordedEvent] = field(default_factory=list)
    denied: list[RecordedEvent] = field(default_factory=list)
    flattened: list[RecordedEvent] = field(default_factory=list)
    """Flattening orders (submissions) and their fills."""
    next_change: RecordedEvent | None = None
    """The same breaker's next change, which ended this story's state (None: it lasted to the end)."""
    strategy_caps: dict[str, StrategyLimits] = field(default_factory=dict)
    """Strategies' own caps, where the session gave them."""

    @property
    def found(self) -> bool:
        """Whether ``notification_id`` is a breaker change."""
        return self.change is not None

    def steps(self) -> list[tuple[str, RecordedEvent]]:
        """The story as labelled events in the order a reader follows it."""
        return [
            *([("opened by", self.previous)] if self.previous is not None else []),
            *([("trigger", self.trigger)] if self.trigger is not None else []),
            *([("signal", self.signal)] if self.signal is not None else []),
            *[("recent report", r) for r in self.window],
            *([("breaker", self.change)] if self.change is not None else []),
            *[("denied", r) for r in self.denied],
            *[("flattened", r) for r in self.flattened],
            *([("next change", self.next_change)] if self.next_change is not None else []),
        ]

    def limits_in_force(self) -> dict[str, Any]:
        """The limits this breaker judges by, as name -> value (the strategy's own caps applied)."""
        if self.limits is None or self.change is None:
            return {}
        scope = _scope(self.change.event)
        caps = self.strategy_caps.get(scope)
        limits = caps.applied_to(self.limits) if caps is not None else self.limits
        kind = (
            "account" if scope == "account" else "execution" if scope.startswith("execution:") else "strategy"
        )
        values: dict[str, Any] = {"version": limits.label}
        values.update({name: getattr(limits, name) for name in _FIELDS[kind]})
        if limits.adaptive_window and kind != "strategy":
            values["adaptive_window"] = limits.adaptive_window  # tiers and slippage scaled by volatility
        return values


def explain_breaker(log: EventLog, notification_id: int) -> BreakerStory:
    """The story of the breaker change at ``notification_id`` (``found`` is False if it is not one)."""
    story = BreakerStory(notification_id)
    recent: dict[EventRef, RecordedEvent] = {}
    arrival: deque[EventRef] = deque()
    changes: dict[EventRef, RecordedEvent] = {}
    reports: dict[str, tuple[deque[RecordedEvent], deque[RecordedEvent]]] = {}
    limits_change: tuple[EventRef, RiskLimits | None, RecordedEvent | None] | None = None
    flattening: set[UUID] = set()
    before: RecordedEvent | None = None
    for page in log.read():
        for recorded in page:
            event, before, last = recorded.event, recorded, before
            if story.change is not None:
                if _consequence(story, recorded, flattening):
                    return story
                continue
            if recorded.notification_id == notification_id:
                story.topic = event.TOPIC
                if not isinstance(event, BreakerChanged):
                    return story
                story.change = recorded
                story.trigger = recent.get(event.cause) or changes.get(event.cause)
                if story.trigger is not None and isinstance(story.trigger.event, BreakerChanged):
                    story.previous, story.trigger = story.trigger, None
                    if last is not None and isinstance(last.event, SignalGenerated):
                        story.signal, story.trigger = last, recent.get(last.event.cause)
                story.window = _window(story, reports.get(event.scope.removeprefix("execution:")))
                continue
            ref = EventRef(event.originator_id, event.originator_version)
            if isinstance(event, BreakerChanged):
                changes[ref] = recorded
                if event.after == "CLOSED":  # a clean probe starts the window afresh
                    reports.pop(event.scope.removeprefix("execution:"), None)
                continue
            if isinstance(event, SessionStarted) and story.limits_from is None:
                story.limits, story.limits_from = event.limits, recorded
                story.strategy_caps = {s.strategy_id: s.limits for s in event.strategies if s.limits}
            elif isinstance(event, LimitsChanged):
                limits_change = (ref, story.limits, story.limits_from)
                story.limits, story.limits_from = event.limits, recorded
            elif (
                isinstance(event, OperatorCommandRefused)
                and limits_change
                and event.cause == limits_change[0]
            ):
                story.limits, story.limits_from = limits_change[1], limits_change[2]  # refused: not in force
            elif isinstance(event, VenueOrderAccepted | VenueOrderRejected | VenueOrderFilled):
                orders, fills = reports.setdefault(event.venue, (deque(maxlen=1_000), deque(maxlen=1_000)))
                (fills if isinstance(event, VenueOrderFilled) else orders).append(recorded)
            if type(event).IS_INPUT:
                recent[ref] = recorded
                arrival.append(ref)
                if len(arrival) > _RECENT_INPUTS:
                    recent.pop(arrival.popleft(), None)
    return story


def _scope(event: Event) -> str:
    return event.scope if isinstance(event, BreakerChanged) else ""


def _window(
    story: BreakerStory, venue_reports: tuple[deque[RecordedEvent], deque[RecordedEvent]] | None
) -> list[RecordedEvent]:
    assert story.change is not None
    change = story.change.event
    if not isinstance(change, BreakerChanged) or change.after != "OPEN" or venue_reports is None:
        return []
    if "probe" in change.reason:
        return []  # a probe is judged alone: the trigger is the whole story
    orders, fills = venue_reports
    size = story.limits.execution_window if story.limits is not None else 20
    chosen = list(fills if "slippage" in change.reason else orders)[-size:]
    return [r for r in chosen if r is not story.trigger]


def _consequence(story: BreakerStory, recorded: RecordedEvent, flattening: set[UUID]) -> bool:
    """Note what this change's state did; True once the breaker moved again (the story ends)."""
    assert story.change is not None and isinstance(story.change.event, BreakerChanged)
    change, event = story.change.event, recorded.event
    if isinstance(event, BreakerChanged) and event.scope == change.scope:
        story.next_change = recorded
        return True
    ours = change.scope == "account" or getattr(event, "strategy_id", None) == change.scope
    if isinstance(event, OrderDenied):
        execution = change.scope.startswith("execution:") and change.after in ("OPEN", "HALF_OPEN")
        if (execution and event.reason == "execution_quality") or (
            ours and event.reason in _DENIES.get(change.after, ())
        ):
            story.denied.append(recorded)
    elif (
        isinstance(event, OrderSubmitted)
        and ours
        and event.purpose == "flatten"
        and change.after == "EMERGENCY"
    ):
        flattening.add(event.order_id)
        story.flattened.append(recorded)
    elif isinstance(event, VenueOrderFilled) and event.order_id in flattening:
        story.flattened.append(recorded)
    return False
