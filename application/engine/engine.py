"""The engine: input events in, decision events out, in log order, deterministically.

``handle(event)`` is the only entry point. It never reads the clock, never
draws random numbers and never iterates an unordered collection, so feeding
the same inputs gives the same decisions byte for byte. Orders approved by
the risk gate are put in ``outbox``; the session runner sends them to the
venue once their submission is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import msgspec

from application.engine.full_risk import FullRisk
from application.engine.orders import TrackedOrder
from domain.errors import DomainError, InvalidMarketData
from domain.events import (
    AnyBar,
    Bar,
    Event,
    EventRef,
    LimitsChanged,
    OperatorCommand,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionEnded,
    SessionStarted,
    SignalGenerated,
    StoredBar,
    StrategyConfig,
    VenueOrderAccepted,
    VenueOrderCancelled,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.events.trading import Purpose, Side
from domain.ids import NumberedIds, derive_id
from domain.market.columns import CloseColumns
from domain.risk.execution import Outcome
from domain.strategies import STRATEGIES, SignalLogic, StrategyIntent
from domain.strategies.base import ScansColumns
from domain.trading.fills import FillExceedsOrder
from domain.trading.order_status import IllegalOrderTransition, OrderStatus
from domain.trading.position import Account
from domain.trading.protective import ProtectiveExits
from domain.trading.risk_gate import LIMITS_VERSION, RiskCheck, check_order

NO_DECISIONS: tuple[Event, ...] = ()
Input = tuple[Event, bytes | int | None]
"""An input event and, when it was read from a log, what the log records for it: its stored bytes
(so it is not encoded again), or, for a bar whose run log copies the rows from the source log
itself, its notification id there (see ``BarsFromLog``)."""
_ZERO = Decimal(0)
_BPS = Decimal(10_000)


def _ref(event: Event) -> EventRef:
    return EventRef(event.originator_id, event.originator_version)


class UnknownStrategy(DomainError):
    """A session names a strategy (or version) this code does not have."""


class StrategySlot:
    """One configured strategy: its logic, its signal stream and its exits."""

    def __init__(self, config: StrategyConfig) -> None:
        logic_class = STRATEGIES.get(config.name)
        if logic_class is None or logic_class.version != config.version:
            raise UnknownStrategy(f"strategy {config.name} v{config.version} is not available")
        self.config = config
        self.strategy_id = config.strategy_id
        self.logic: SignalLogic = logic_class(dict(config.params))
        self.stream = derive_id("signals", config.strategy_id)
        self.order_ids = NumberedIds("order", str(self.stream))
        """Each signal's order id, by the signal's number (derived from the signal)."""
        self.symbol = config.symbol
        self.signals = 0
        self.quantity = _ZERO
        """The strategy's position (kept equal to the account's, read on every bar)."""
        self.pending_sells = _ZERO
        self.pending_buy_notional = _ZERO
        self.exits = ProtectiveExits(config.stop_loss_pct, config.take_profit_pct, config.trailing_stop_pct)


class Engine:
    """Strategies, the risk gate, orders and the account of one session."""

    def __init__(self, session: SessionStarted) -> None:
        self.session = session
        self.account = Account(starting_cash=session.starting_cash)
        self.slots = [StrategySlot(config) for config in session.strategies]
        self._by_symbol: dict[str, list[StrategySlot]] = {}
        for slot in self.slots:
            self._by_symbol.setdefault(slot.config.symbol, []).append(slot)
        self._slot_by_id = {slot.strategy_id: slot for slot in self.slots}
        self.orders: dict[UUID, TrackedOrder] = {}
        self.reserved_cash = _ZERO
        self.last_close: dict[str, Decimal] = {}
        """Each symbol's last close the engine saw (what orders are sized at and positions marked at)."""
        self.outbox: list[OrderSubmitted] = []
        self.fills_applied = 0
        limits = session.limits
        self.risk = FullRisk(limits, session.starting_cash, session.strategies) if limits else None
        if self.risk is not None:
            self.risk.venue = session.venue
        self._admits: dict[str, Callable[[AnyBar], InvalidMarketData | None]] = {}
        """Each symbol's market-data guard, as the risk engine made it (see ``on_bar``)."""
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
        return self._slot_by_id[strategy_id].quantity

    # market data ----------------------------------------------------------

    def on_bar(self, bar: AnyBar) -> Sequence[Event]:
        """The decisions a closed bar causes (``handle`` for a bar, without the dispatch)."""
        risk = self.risk
        if risk is not None and (refusal := self._admit(bar.symbol)(bar)) is not None:
            return [risk.refused(bar, refusal)]  # neither the strategies nor the marks see it
        self.last_close[bar.symbol] = bar.close
        slots = self._by_symbol.get(bar.symbol)
        if not slots:
            return NO_DECISIONS
        decisions: list[Event] | None = None
        if risk is not None:
            changes = risk.on_bar(self, bar)
            if risk.emergency:
                changes += self._flatten_if_needed(bar)
            decisions = changes or None
        return self._strategies_see(bar, slots, decisions)

    def _admit(self, symbol: str) -> Callable[[AnyBar], InvalidMarketData | None]:
        """The symbol's market-data guard, as the risk engine made it (at its first bar)."""
        admit = self._admits.get(symbol)
        if admit is None:
            assert self.risk is not None
            admit = self._admits[symbol] = self.risk.guard(symbol).admit
        return admit

    def _strategies_see(
        self, bar: AnyBar, slots: Sequence[StrategySlot], decisions: list[Event] | None
    ) -> Sequence[Event]:
        """The bar's protective exits and strategies, after the risk engine's marks (``decisions``)."""
        for slot in slots:
            held = slot.quantity
            if held and slot.exits.armed and not slot.pending_sells:
                hit = slot.exits.hit(bar)
                if hit is not None:
                    purpose, why, level = hit
                    intent = StrategyIntent("close", held, why, (("level", level),))
                    decisions = (decisions or []) + self._act(slot, intent, bar, purpose)
            wanted = slot.logic.on_bar(bar, held - slot.pending_sells if slot.pending_sells else held)
            if wanted is not None:
                purpose = "entry" if wanted.action == "buy" else "exit"
                decisions = (decisions or []) + self._act(slot, wanted, bar, purpose)
        return decisions or NO_DECISIONS

    def quiet_slot(self, symbol: str) -> StrategySlot | None:
        """The one strategy trading ``symbol`` while its next bars can go through ``scan``: no order
        open, no protective exit watching a position, no breaker in EMERGENCY. None otherwise:
        the bars go through ``on_bar`` one by one."""
        if self.orders or (self.risk is not None and self.risk.emergency):
            return None
        slots = self._by_symbol.get(symbol)
        if slots is None or len(slots) != 1:
            return None
        slot = slots[0]
        if slot.pending_sells or (slot.quantity and slot.exits.armed):
            return None
        return slot

    def scan(
        self,
        slot: StrategySlot,
        inputs: Sequence[Input],
        start: int,
        stop: int,
        bar_at: Callable[[int], AnyBar] | None = None,
    ) -> tuple[int, Sequence[Event]]:
        """``on_bar`` over the bars ``inputs[start:stop]``, all of ``slot``'s symbol (the caller
        checked), while they cause nothing, for ``slot`` as ``quiet_slot`` gave it: the index after
        the last bar handled, and what it caused (nothing when it is ``stop``).

        Exactly ``on_bar``'s work in the state ``quiet_slot`` vouches for. With the basic gate only
        the strategy sees each bar (its position cannot change: no order is open), in one call,
        and the symbol's last close is noted once, before any order is sized from it. With the
        full risk engine each bar is guarded and marked first, as ``on_bar`` does. Stops after
        the first bar that causes something, with its decisions.

        ``bar_at``: the inputs hold only the bars' closes (``BarClose``, basic gate only) and this
        gives the whole bar at an index, which the bar that acts is recorded as the cause of."""
        bars = cast(Sequence[tuple[AnyBar, object]], inputs)
        if self.risk is not None:
            if bar_at is not None:
                raise ValueError("the risk engine checks every bar whole: scan whole bars")
            return self._scan_guarded(slot, bars, start, stop)
        index, wanted = slot.logic.scan(bars, start, stop, slot.quantity)
        last = bars[index - 1][0]
        self.last_close[slot.symbol] = last.close
        if wanted is None:
            return index, NO_DECISIONS
        purpose: Purpose = "entry" if wanted.action == "buy" else "exit"
        return index, self._act(slot, wanted, last if bar_at is None else bar_at(index - 1), purpose)

    def scan_columns(
        self,
        slot: StrategySlot,
        columns: CloseColumns,
        start: int,
        stop: int,
        bar_at: Callable[[int], AnyBar],
    ) -> tuple[int, Sequence[Event]]:
        """``scan`` over the bars ``start:stop`` of a page read as columns (``BarPage.columns``), for
        a strategy that scans columns (``ScansColumns``), with the basic gate only: the same work
        and decisions, each close read from the columns (the very Decimal stored); ``bar_at``
        gives the whole bar that acts, recorded as the cause."""
        if self.risk is not None:
            raise ValueError("the risk engine checks every bar whole: scan whole bars")
        logic = cast(ScansColumns, slot.logic)
        index, wanted = logic.scan_columns(columns, start, stop, slot.quantity)
        self.last_close[slot.symbol] = columns.close(index - 1)
        if wanted is None:
            return index, NO_DECISIONS
        purpose: Purpose = "entry" if wanted.action == "buy" else "exit"
        return index, self._act(slot, wanted, bar_at(index - 1), purpose)

    def _scan_guarded(
        self, slot: StrategySlot, bars: Sequence[tuple[AnyBar, object]], start: int, stop: int
    ) -> tuple[int, Sequence[Event]]:
        """``scan`` with the full risk engine: ``on_bar``'s steps for each bar, without its dispatch."""
        risk, symbol, held = self.risk, slot.symbol, slot.quantity
        assert risk is not None
        admit, mark, logic_scan, last_close = (
            self._admit(symbol),
            risk.on_bar,
            slot.logic.scan,  # a scan of the one bar: on_bar without building its input
            self.last_close,
        )
        for index in range(start, stop):
            bar = bars[index][0]
            if (refusal := admit(bar)) is not None:
                return index + 1, [risk.refused(bar, refusal)]
            last_close[symbol] = bar.close
            changes = mark(self, bar)
            if changes or risk.emergency:  # on_bar's own steps from here
                if risk.emergency:
                    changes += self._flatten_if_needed(bar)
                return index + 1, self._strategies_see(bar, (slot,), changes or None)
            wanted = logic_scan(bars, index, index + 1, held)[1]
            if wanted is not None:
                purpose: Purpose = "entry" if wanted.action == "buy" else "exit"
                return index + 1, self._act(slot, wanted, bar, purpose)
        return stop, NO_DECISIONS

    def _flatten_if_needed(self, cause: AnyBar | SessionEnded | OperatorCommand) -> list[Event]:
        decisions: list[Event] = []
        if self.risk is None or not self.risk.emergency:
            return decisions
        for slot in self.slots:
            open_quantity = slot.quantity - slot.pending_sells
            if open_quantity > 0 and self.risk.must_flatten(slot) and slot.symbol in self.last_close:
                intent = StrategyIntent("close", open_quantity, "EMERGENCY: flatten every position", ())
                decisions += self._act(slot, intent, cause, "flatten")
        return decisions

    def _on_limits_changed(self, changed: LimitsChanged) -> Sequence[Event]:
        return self.risk.change_limits(changed) if self.risk is not None else NO_DECISIONS

    def _on_command(self, command: OperatorCommand) -> Sequence[Event]:
        if self.risk is None:
            return NO_DECISIONS
        decisions: list[Event] = list(self.risk.on_command(self, command))
        return decisions + self._flatten_if_needed(command)

    def _act(
        self,
        slot: StrategySlot,
        intent: StrategyIntent,
        bar: AnyBar | SessionEnded | OperatorCommand,
        purpose: Purpose,
    ) -> list[Event]:
        slot.signals += 1
        cause = EventRef(bar.originator_id, bar.originator_version)
        symbol = slot.config.symbol
        signal = SignalGenerated(
            originator_id=slot.stream,
            originator_version=slot.signals,
            strategy_id=slot.strategy_id,
            symbol=symbol,
            ts_event=bar.ts_event,
            action=intent.action,
            quantity=intent.quantity,
            reason=intent.reason,
            values=intent.values,
            cause=cause,
        )
        order_id = slot.order_ids[slot.signals]  # derive_id("order", stream, str(signal number))
        side: Side = "buy" if intent.action == "buy" else "sell"
        price = self.last_close[symbol]
        session = self.session
        check = check_order(
            side,
            intent.quantity,
            price,
            cash=self.account.cash,
            reserved_cash=self.reserved_cash,
            position=slot.quantity,
            pending_sells=slot.pending_sells,
            fee_rate=session.fee_rate,
            slippage_bps=session.slippage_bps,
        )
        limits_version = LIMITS_VERSION
        equity = exposure = None
        if check.approved and self.risk is not None:
            verdict, equity, exposure = self.risk.check(
                self, slot, side, intent.quantity, price, bar.ts_event
            )
            limits_version = self.risk.limits.label
            if not verdict.approved:
                check = RiskCheck(False, check.notional, check.required_cash, verdict.reason, verdict.message)
        approval = OrderApproved(
            originator_id=order_id,
            originator_version=1,
            order_id=order_id,
            strategy_id=slot.strategy_id,
            symbol=symbol,
            side=side,
            quantity=intent.quantity,
            reference_price=price,
            notional=check.notional,
            cash=self.account.cash - self.reserved_cash,
            position=slot.quantity,
            limits_version=limits_version,
            ts_event=bar.ts_event,
            cause=EventRef(slot.stream, slot.signals),
            equity=equity,
            strategy_exposure=exposure,
        )
        changes: list[Event] = []
        if self.risk is not None and self.risk.pending_changes:
            changes, self.risk.pending_changes = list(self.risk.pending_changes), []
        if not check.approved:
            numbers = msgspec.structs.asdict(approval)
            return [signal, *changes, OrderDenied(**numbers, reason=check.reason, message=check.message)]
        submitted = OrderSubmitted(
            originator_id=order_id,
            originator_version=2,
            order_id=order_id,
            client_order_id=order_id.hex,
            strategy_id=slot.strategy_id,
            venue=session.venue,
            symbol=symbol,
            side=side,
            order_type="market",
            quantity=intent.quantity,
            ts_event=bar.ts_event,
            purpose=purpose,
        )
        reserved = check.required_cash if side == "buy" else _ZERO
        self.reserved_cash += reserved
        if side == "sell":
            slot.pending_sells += intent.quantity
        else:
            slot.pending_buy_notional += check.notional
        self.orders[order_id] = TrackedOrder(
            order_id,
            slot.strategy_id,
            symbol,
            side,
            intent.quantity,
            purpose,
            reserved,
            pending_notional=check.notional if side == "buy" else _ZERO,
            reference_price=price,
            submitted_ns=bar.ts_event,
        )
        self.outbox.append(submitted)
        return [signal, *changes, approval, submitted]

    # venue reports ----------------------------------------------------------

    def _on_accepted(self, report: VenueOrderAccepted) -> Sequence[Event]:
        order = self.orders.get(report.order_id)
        if order is None or order.status is not OrderStatus.SUBMITTED:
            return NO_DECISIONS
        order.move_to(OrderStatus.ACCEPTED)
        if self.risk is None:
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

        self.fills_applied += 1
        slot = self._slot_by_id[order.strategy_id]
        before, side, quantity = slot.quantity, order.side, report.quantity
        position = self.account.apply_fill(order.strategy_id, side, quantity, report.price, report.fee)
        slot.quantity = position.quantity
        if side == "sell":
            slot.pending_sells -= quantity
        else:
            added = min(order.pending_notional, quantity * order.reference_price)
            order.pending_notional -= added
            slot.pending_buy_notional -= added
        if order.fills.filled == order.quantity:
            order.move_to(OrderStatus.FILLED)
            self._release(order)
        else:
            order.move_to(OrderStatus.PARTIALLY_FILLED)
        if before <= 0 < position.quantity:
            slot.exits.open(position.average_price)
        if self.risk is None or not order.reference_price:
            return NO_DECISIONS
        worse = (
            report.price - order.reference_price
            if order.side == "buy"
            else order.reference_price - report.price
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
            self._slot_by_id[order.strategy_id].pending_sells -= order.fills.remaining
        self._release(order)
        if self.risk is None or not isinstance(report, VenueOrderRejected):
            return NO_DECISIONS
        return self.risk.on_outcome(Outcome(None, None, True), report.ts_event, _ref(report))

    def _release(self, order: TrackedOrder) -> None:
        self.reserved_cash -= order.reserved_cash
        order.reserved_cash = _ZERO
        self._slot_by_id[order.strategy_id].pending_buy_notional -= order.pending_notional
        order.pending_notional = _ZERO
        del self.orders[order.order_id]

    # end of session -------------------------------------------------------------

    def _on_session_ended(self, ended: SessionEnded) -> Sequence[Event]:
        if not self.session.close_at_end:
            return NO_DECISIONS
        decisions: list[Event] = []
        for slot in self.slots:
            held = self.position(slot.strategy_id) - slot.pending_sells
            if held > 0 and slot.config.symbol in self.last_close:
                intent = StrategyIntent("close", held, f"session ended: {ended.reason}", ())
                decisions += self._act(slot, intent, ended, "close_at_end")
        return decisions
