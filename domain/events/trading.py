"""Trading events: the session's configuration, decisions, and venue reports.

Inputs (``IS_INPUT``) come from outside and are replayed as recorded: the
session configuration, venue reports. Decisions are what the engine derives
and what replay must reproduce byte for byte: signals, risk decisions,
order submissions. Every decision names its cause (``cause``: the stream id
and version of the event that led to it) and never a notification id, so it
is the same in any log it is replayed into.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

import msgspec

from domain.events.base import Event, event_topic
from domain.risk.limits import RiskLimits, StrategyLimits

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop"]
Purpose = Literal["entry", "exit", "stop_loss", "take_profit", "trailing_stop", "close_at_end", "flatten"]


class EventRef(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Points at one event by its stream and version (the same in every log)."""

    stream: UUID
    version: int


class StrategyConfig(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One strategy in a session: which logic, which version, its parameters and exits."""

    strategy_id: str
    name: str
    version: int
    symbol: str
    params: tuple[tuple[str, str], ...]
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    trailing_stop_pct: Decimal | None = None
    limits: StrategyLimits | None = None
    """This strategy's own caps (trade, exposure, drawdown halt), where they differ."""


@event_topic("engine.Session.Started")
class SessionStarted(Event, frozen=True, kw_only=True):
    """A trading session's configuration: everything the engine's decisions depend on."""

    IS_INPUT: ClassVar[bool] = True

    mode: Literal["backtest", "shadow", "paper", "live"]
    account: str
    currency: str
    starting_cash: Decimal
    venue: str
    fee_rate: Decimal
    slippage_bps: Decimal
    close_at_end: bool
    strategies: tuple[StrategyConfig, ...]
    code_version: str
    limits: RiskLimits | None = None
    """The full risk engine's limits; None runs the basic gate only (cash and position)."""


@event_topic("engine.Session.Ended")
class SessionEnded(Event, frozen=True, kw_only=True):
    """The input stream ended (end of data or operator stop); recorded so replay sees it too."""

    IS_INPUT: ClassVar[bool] = True

    ts_event: int
    reason: str


@event_topic("strategy.Signal.Generated")
class SignalGenerated(Event, frozen=True, kw_only=True):
    """A strategy wants to act; the values it computed are kept for the audit."""

    IS_INPUT: ClassVar[bool] = False

    strategy_id: str
    symbol: str
    ts_event: int
    action: Literal["buy", "sell", "close"]
    quantity: Decimal
    reason: str
    values: tuple[tuple[str, Decimal], ...]
    cause: EventRef


class RiskDecision(Event, frozen=True, kw_only=True):
    """Common fields of approvals and denials: the order asked for and the numbers used."""

    IS_INPUT: ClassVar[bool] = False

    order_id: UUID
    strategy_id: str
    symbol: str
    side: Side
    quantity: Decimal
    reference_price: Decimal
    notional: Decimal
    cash: Decimal
    position: Decimal
    limits_version: str
    ts_event: int
    cause: EventRef
    equity: Decimal | None = None
    """Full risk only: equity at the moment of the decision (cash + positions at last prices)."""
    strategy_exposure: Decimal | None = None
    """Full risk only: the strategy's exposure before this order, pending orders included."""


@event_topic("risk.Order.Approved")
class OrderApproved(RiskDecision, frozen=True, kw_only=True):
    """The risk gate let the order through."""


@event_topic("risk.Order.Denied")
class OrderDenied(RiskDecision, frozen=True, kw_only=True):
    """The risk gate refused the order; ``reason`` is a code, ``message`` has the numbers."""

    reason: str
    message: str


@event_topic("oms.Order.Submitted")
class OrderSubmitted(Event, frozen=True, kw_only=True):
    """An order is on its way to the venue (sent only once this is durable, or simulated)."""

    IS_INPUT: ClassVar[bool] = False

    order_id: UUID
    client_order_id: str
    strategy_id: str
    venue: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    ts_event: int
    purpose: Purpose


class VenueReport(Event, frozen=True, kw_only=True):
    """Something a venue told us about one of our orders: an input, replayed as recorded."""

    IS_INPUT: ClassVar[bool] = True

    order_id: UUID
    venue: str
    ts_event: int
    ts_recv: int


@event_topic("venue.Order.Accepted")
class VenueOrderAccepted(VenueReport, frozen=True, kw_only=True):
    """The venue acknowledged the order."""

    venue_order_id: str


@event_topic("venue.Order.Rejected")
class VenueOrderRejected(VenueReport, frozen=True, kw_only=True):
    """The venue refused the order."""

    reason: str


@event_topic("venue.Order.Filled")
class VenueOrderFilled(VenueReport, frozen=True, kw_only=True):
    """A (partial) fill; ``trade_id`` identifies it, repeats are ignored."""

    trade_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    expected_price: Decimal


@event_topic("venue.Order.Cancelled")
class VenueOrderCancelled(VenueReport, frozen=True, kw_only=True):
    """The venue cancelled what was left of the order."""

    reason: str


@event_topic("operator.Command.Issued")
class OperatorCommand(Event, frozen=True, kw_only=True):
    """An operator's halt, resume or flatten, with who issued it and why."""

    IS_INPUT: ClassVar[bool] = True

    command: Literal["halt", "resume", "flatten"]
    scope: str
    issued_by: str
    reason: str
    ts_event: int


@event_topic("risk.Breaker.Changed")
class BreakerChanged(Event, frozen=True, kw_only=True):
    """A circuit breaker moved between trading states, with the reason and the measured values."""

    IS_INPUT: ClassVar[bool] = False

    scope: str
    before: str
    after: str
    reason: str
    drawdown_pct: Decimal
    daily_loss_pct: Decimal
    equity: Decimal
    high_water: Decimal
    limits_version: str
    ts_event: int
    cause: EventRef


@event_topic("operator.Command.Refused")
class OperatorCommandRefused(Event, frozen=True, kw_only=True):
    """An operator command that did not apply, and why (nothing else changed)."""

    IS_INPUT: ClassVar[bool] = False

    command: str
    scope: str
    issued_by: str
    reason: str
    ts_event: int
    cause: EventRef


@event_topic("risk.MarketData.Refused")
class MarketDataRefused(Event, frozen=True, kw_only=True):
    """The risk engine would not act on this market data (stale or deviating); the strategies did
    not see it and no equity was marked with it."""

    IS_INPUT: ClassVar[bool] = False

    symbol: str
    reason: str
    message: str
    ts_event: int
    cause: EventRef


@event_topic("risk.Limits.Changed")
class LimitsChanged(Event, frozen=True, kw_only=True):
    """New limits from an operator or a configuration change; decisions after it name its version."""

    IS_INPUT: ClassVar[bool] = True

    limits: RiskLimits
    issued_by: str
    reason: str
    ts_event: int
