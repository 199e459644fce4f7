"""The engine: input events in, decision events out, in log order, deterministically.

Every input goes through ``handle``, one dispatch by the input's type. Bars reach the
strategies that declared them (``SignalLogic.inputs``); a run of bars may be taken in one call
(``advance``), an optimisation inside the same path: it gives exactly the decisions of
``handle`` of each bar in turn, and property tests hold it so. The engine never reads the
clock, never draws random numbers and never iterates an unordered collection, so the same
inputs give the same decisions byte for byte. Orders approved are put in ``outbox``; the
session runner sends them to the venue once their submission is recorded.

The engine writes the ``AccountBook``; its risk engine (a ``RiskEngine``: the basic gate alone
or the full risk engine) reads that book, and neither imports the other (``engine_for`` builds
them together).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.engine.desk import Cause, OrderDesk
from application.engine.orders import TrackedOrder
from application.engine.parts import RiskEngine
from application.engine.slots import StrategySlot
from domain.events import (
    AnyBar,
    Bar,
    Event,
    EventRef,
    LimitsChanged,
    OperatorCommand,
    OrderSubmitted,
    SessionEnded,
    SessionStarted,
    StoredBar,
    VenueOrderAccepted,
    VenueOrderCancelled,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.events.trading import Purpose
from domain.market.runs import BarRun
from domain.risk.execution import Outcome
from domain.strategies import StrategyIntent
from domain.trading.book import AccountBook
from domain.trading.fills import FillExceedsOrder
from domain.trading.order_status import IllegalOrderTransition, OrderStatus

NO_DECISIONS: tuple[Event, ...] = ()
_BPS = Decimal(10_000)
_FIRST_WINDOW = 128
"""Bars the risk engine is first asked to vouch for at once (then 8 times as many, and so on)."""


def _ref(event: Event) -> EventRef:
    return EventRef(event.originator_id, event.originator_version)


class Engine:
    """Strategies, the risk engine, orders and the account book of one session."""

    def __init__(
        self, session: SessionStarted, book: AccountBook, risk: RiskEngine, slots: Sequence[StrategySlot]
    ) -> None:
        self.session = session
        self.book = book
        self.risk = risk
        self._passive = risk.passive
        self.slots = list(slots)
        self._slot_by_id = {slot.strategy_id: slot for slot in self.slots}
        self._bar_routes: dict[str, list[StrategySlot]] = {}
        """Each symbol's strategies that declared its bars, in the session's order."""
        for slot in self.slots:
            for spec in slot.logic.inputs(slot.symbol):
                if spec.kind == "bar" and spec.symbol is not None:
                    self._bar_routes.setdefault(spec.symbol, []).append(slot)
        self.orders: dict[UUID, TrackedOrder] = {}
        self.outbox: list[OrderSubmitted] = []
        self.desk = OrderDesk(session, book, risk, self.orders, self.outbox.append)
        self._handlers: dict[type, Callable[[Any], Sequence[Event]]] = {
            Bar: self.on_bar,
            StoredBar: self.on_bar,
            VenueOrderFilled: self._on_fill,
            VenueOrderAccepted: self._on_accepted,
            VenueOrderRejected: self._on_closed_by_venue,
            VenueOrderCancelled: self._on_closed_by_venue,
            SessionEnded: self._on_session_ended,
            OperatorCommand: self._on_command,
            LimitsChanged: self._on_limits_changed,
        }

    def handle(self, event: Event) -> Sequence[Event]:
        """The decisions ``event`` causes (often none)."""
        handler = self._handlers.get(type(event))
        return handler(event) if handler is not None else NO_DECISIONS

    def slot(self, strategy_id: str) -> StrategySlot:
        """The configured strategy with this id."""
        return self._slot_by_id[strategy_id]

    def position(self, strategy_id: str) -> Decimal:
        """The strategy's current quantity."""
        return self._slot_by_id[strategy_id].holding.quantity

    # market data ----------------------------------------------------------

    def on_bar(self, bar: AnyBar) -> Sequence[Event]:
        """The decisions a closed bar causes: guarded, marked, then seen by its strategies."""
        risk, book = self.risk, self.book
        refusal = risk.admit(bar)
        if refusal is not None:  # the strategies never see it; it counts against positions
            book.refuse(bar.symbol, bar.close)
            return (refusal, *risk.on_refused(bar))
        book.accept(bar.symbol, bar.close)
        slots = self._bar_routes.get(bar.symbol)
        if not slots:
            return NO_DECISIONS
        decisions = risk.on_bar(bar)
        if risk.emergency:
            decisions += self._flatten_if_needed(bar)
        for slot in slots:
            decisions += self._exits_and_signal(slot, bar)
        return decisions or NO_DECISIONS

    def _exits_and_signal(self, slot: StrategySlot, bar: AnyBar) -> list[Event]:
        """A slot's protective exits, then its strategy, on one bar."""
        holding, decisions = slot.holding, []
        held = holding.quantity
        if held and slot.exits.armed and not holding.pending_sells:
            hit = slot.exits.hit(bar)
            if hit is not None:
                purpose, why, level = hit
                intent = StrategyIntent("close", held, why, (("level", level),))
                decisions = self.desk.act(slot, intent, bar, purpose)
        selling = holding.pending_sells  # an exit just placed counts
        wanted = slot.logic.on_bar(bar, held - selling if selling else held)
        if wanted is not None:
            decisions += self.desk.act(slot, wanted, bar, _purpose(wanted))
        return decisions

    def advance(self, run: BarRun, start: int, stop: int) -> tuple[int, Sequence[Event]]:
        """``on_bar`` of the bars ``start:stop`` of ``run`` in turn, up to and including the first
        that causes something (at least one bar): the index after the last bar handled, and what
        it caused. While the engine is quiet for the run's symbol (``quiet_slot``) the strategy and
        the risk engine take a stretch of bars in one call each; otherwise one bar goes through
        ``on_bar``. Either way the decisions and the state are those of ``on_bar`` of each."""
        slot = self.quiet_slot(run.symbol)
        if slot is not None and self._passive:  # the basic gate: the strategy alone
            return self._scan(slot, run, start, stop)
        index, window = start, _FIRST_WINDOW
        while slot is not None and index < stop:
            until = min(stop, index + window)
            quiet = self.risk.quiet_until(run, index, until)
            if quiet == index:
                break
            index, decisions = self._scan(slot, run, index, quiet)
            if decisions or index < until:  # an intent, or a bar the risk engine must look at
                return index, decisions
            window *= 8  # the screen's work is kept near what the strategy's scan takes
        if index > start:
            return index, NO_DECISIONS
        return start + 1, self.on_bar(run.bar(start))

    def quiet_slot(self, symbol: str) -> StrategySlot | None:
        """The one strategy trading ``symbol`` while its bars can be taken in bulk: no order open,
        no protective exit watching a position, no breaker in EMERGENCY. None otherwise."""
        if self.orders or self.risk.emergency:
            return None
        slots = self._bar_routes.get(symbol)
        if slots is None or len(slots) != 1:
            return None
        slot = slots[0]
        holding = slot.holding
        if holding.pending_sells or (holding.quantity and slot.exits.armed):
            return None
        return slot

    def _scan(self, slot: StrategySlot, run: BarRun, start: int, stop: int) -> tuple[int, Sequence[Event]]:
        """The strategy over ``start:stop`` (bars the risk engine vouched for), up to its first
        intent; the risk engine takes the bars seen; the symbol's last price is the last one's."""
        index, wanted = slot.logic.scan(run, start, stop, slot.holding.quantity)
        self.book.accept(run.symbol, run.close(index - 1))
        if not self._passive:
            self.risk.absorb(run, start, index)
        if wanted is None:
            return index, NO_DECISIONS
        return index, self.desk.act(slot, wanted, run.bar(index - 1), _purpose(wanted))

    def _flatten_if_needed(self, cause: Cause) -> list[Event]:
        decisions: list[Event] = []
        if not self.risk.emergency:
            return decisions
        prices = self.book.last_prices
        for slot in self.slots:
            open_quantity = slot.holding.free
            if open_quantity > 0 and self.risk.must_flatten(slot.strategy_id) and slot.symbol in prices:
                intent = StrategyIntent("close", open_quantity, "EMERGENCY: flatten every position", ())
                decisions += self.desk.act(slot, intent, cause, "flatten")
        return decisions

    def _on_limits_changed(self, changed: LimitsChanged) -> Sequence[Event]:
        return self.risk.change_limits(changed)

    def _on_command(self, command: OperatorCommand) -> Sequence[Event]:
        decisions = list(self.risk.on_command(command))
        return decisions + self._flatten_if_needed(command)

    # venue reports ----------------------------------------------------------

    def _on_accepted(self, report: VenueOrderAccepted) -> Sequence[Event]:
        order = self.orders.get(report.order_id)
        if order is None or order.status is not OrderStatus.SUBMITTED:
            return NO_DECISIONS
        order.move_to(OrderStatus.ACCEPTED)
        if self._passive:
            return NO_DECISIONS
        latency = Outcome(report.ts_recv - order.submitted_ns, None, False)
        return self.risk.on_outcome(latency, report.ts_event, _ref(report))

    def _on_fill(self, report: VenueOrderFilled) -> Sequence[Event]:
        order = self.orders.get(report.order_id)
        if order is None or not order.is_open:
            return NO_DECISIONS
        try:
            if not order.fills.record(report.trade_id, report.quantity):
                return NO_DECISIONS  # a repeat of a fill already counted
        except FillExceedsOrder:
            return NO_DECISIONS  # the venue over-reported; the order keeps what was filled
        slot = self._slot_by_id[order.strategy_id]
        holding = slot.holding
        before, side, quantity = holding.quantity, order.side, report.quantity
        position = self.book.apply_fill(holding, side, quantity, report.price, report.fee)
        if side == "sell":
            holding.pending_sells -= quantity
        else:
            added = min(order.pending_notional, quantity * order.reference_price)
            order.pending_notional -= added
            holding.pending_buy_notional -= added
        if order.fills.filled == order.quantity:
            order.move_to(OrderStatus.FILLED)
            self._release(order)
        else:
            order.move_to(OrderStatus.PARTIALLY_FILLED)
        if before <= 0 < position.quantity:
            slot.exits.open(position.average_price)
        if self._passive or not order.reference_price:
            return NO_DECISIONS
        worse = (
            report.price - order.reference_price if side == "buy" else order.reference_price - report.price
        )
        slippage = Outcome(None, worse / order.reference_price * _BPS, False)
        return self.risk.on_outcome(slippage, report.ts_event, _ref(report))

    def _on_closed_by_venue(self, report: VenueOrderRejected | VenueOrderCancelled) -> Sequence[Event]:
        order = self.orders.get(report.order_id)
        if order is None or not order.is_open:
            return NO_DECISIONS
        terminal = OrderStatus.REJECTED if isinstance(report, VenueOrderRejected) else OrderStatus.CANCELLED
        try:
            order.move_to(terminal)
        except IllegalOrderTransition:
            return NO_DECISIONS  # e.g. a rejection after a partial fill: the order keeps its state
        if order.side == "sell":
            self._slot_by_id[order.strategy_id].holding.pending_sells -= order.fills.remaining
        self._release(order)
        if self._passive or not isinstance(report, VenueOrderRejected):
            return NO_DECISIONS
        return self.risk.on_outcome(Outcome(None, None, True), report.ts_event, _ref(report))

    def _release(self, order: TrackedOrder) -> None:
        self.book.reserved_cash -= order.reserved_cash
        order.reserved_cash = Decimal(0)
        self._slot_by_id[order.strategy_id].holding.pending_buy_notional -= order.pending_notional
        order.pending_notional = Decimal(0)
        del self.orders[order.order_id]

    # end of session -------------------------------------------------------------

    def _on_session_ended(self, ended: SessionEnded) -> Sequence[Event]:
        if not self.session.close_at_end:
            return NO_DECISIONS
        decisions: list[Event] = []
        for slot in self.slots:
            held = slot.holding.free
            if held > 0 and slot.symbol in self.book.last_prices:
                intent = StrategyIntent("close", held, f"session ended: {ended.reason}", ())
                decisions += self.desk.act(slot, intent, ended, "close_at_end")
        return decisions


def _purpose(intent: StrategyIntent) -> Purpose:
    return "entry" if intent.action == "buy" else "exit"
