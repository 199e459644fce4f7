"""From a strategy's intent to an order, in four steps: the signal, the risk decision, the
reservation of cash or position, the submission. Every step's result is a decision event, in
that order, each naming what caused it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol
from uuid import UUID

import msgspec

from application.engine.orders import TrackedOrder
from application.engine.parts import RiskEngine
from application.engine.slots import StrategySlot
from domain.events import (
    Event,
    EventRef,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    SignalGenerated,
)
from domain.events.trading import Purpose, Side
from domain.strategies import StrategyIntent
from domain.trading.book import AccountBook
from domain.trading.risk_gate import LIMITS_VERSION, RiskCheck, check_order

_ZERO = Decimal(0)


class Cause(Protocol):
    """What an intent answers: an event's identity and time (a bar, an operator command, the
    session's end)."""

    @property
    def originator_id(self) -> UUID: ...

    @property
    def originator_version(self) -> int: ...

    @property
    def ts_event(self) -> int: ...


class OrderDesk:
    """Turns intents into signals, risk decisions and orders for one session."""

    def __init__(
        self,
        session: SessionStarted,
        book: AccountBook,
        risk: RiskEngine,
        orders: dict[UUID, TrackedOrder],
        send: Callable[[OrderSubmitted], None],
    ) -> None:
        self.session = session
        self.book = book
        self.risk = risk
        self.orders = orders
        self.send = send

    def act(self, slot: StrategySlot, intent: StrategyIntent, cause: Cause, purpose: Purpose) -> list[Event]:
        """The decisions for one intent: the signal, then a denial, or an approval and the order."""
        signal = self._signal(slot, intent, cause)
        order_id = slot.order_ids[slot.signals]  # derive_id("order", stream, str(signal number))
        side: Side = "buy" if intent.action == "buy" else "sell"
        price = self.book.last_prices[slot.symbol]
        check, approval = self._decide(slot, order_id, side, intent.quantity, price, cause.ts_event)
        changes = self.risk.take_changes()
        if not check.approved:
            numbers = msgspec.structs.asdict(approval)
            return [signal, *changes, OrderDenied(**numbers, reason=check.reason, message=check.message)]
        self._reserve(slot, order_id, side, intent.quantity, price, check, purpose, cause.ts_event)
        return [
            signal,
            *changes,
            approval,
            self._submit(slot, order_id, side, intent.quantity, purpose, cause),
        ]

    def _signal(self, slot: StrategySlot, intent: StrategyIntent, cause: Cause) -> SignalGenerated:
        slot.signals += 1
        return SignalGenerated(
            originator_id=slot.stream,
            originator_version=slot.signals,
            strategy_id=slot.strategy_id,
            symbol=slot.symbol,
            ts_event=cause.ts_event,
            action=intent.action,
            quantity=intent.quantity,
            reason=intent.reason,
            values=intent.values,
            cause=EventRef(cause.originator_id, cause.originator_version),
        )

    def _decide(
        self, slot: StrategySlot, order_id: UUID, side: Side, quantity: Decimal, price: Decimal, ts: int
    ) -> tuple[RiskCheck, OrderApproved]:
        """The basic gate, then the risk engine's limits; the approval as it would be recorded."""
        book, session, holding = self.book, self.session, slot.holding
        check = check_order(
            side,
            quantity,
            price,
            cash=book.cash,
            reserved_cash=book.reserved_cash,
            position=holding.quantity,
            pending_sells=holding.pending_sells,
            fee_rate=session.fee_rate,
            slippage_bps=session.slippage_bps,
        )
        limits_version, equity, exposure = LIMITS_VERSION, None, None
        if check.approved:
            verdict = self.risk.check(holding, side, quantity, price, ts)
            limits_version, equity, exposure = (
                verdict.limits_version,
                verdict.equity,
                verdict.strategy_exposure,
            )
            if not verdict.approved:
                check = RiskCheck(False, check.notional, check.required_cash, verdict.reason, verdict.message)
        approval = OrderApproved(
            originator_id=order_id,
            originator_version=1,
            order_id=order_id,
            strategy_id=slot.strategy_id,
            symbol=slot.symbol,
            side=side,
            quantity=quantity,
            reference_price=price,
            notional=check.notional,
            cash=book.cash - book.reserved_cash,
            position=holding.quantity,
            limits_version=limits_version,
            ts_event=ts,
            cause=EventRef(slot.stream, slot.signals),
            equity=equity,
            strategy_exposure=exposure,
        )
        return check, approval

    def _reserve(
        self,
        slot: StrategySlot,
        order_id: UUID,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        check: RiskCheck,
        purpose: Purpose,
        ts: int,
    ) -> None:
        """Hold what the order may consume (cash for a buy, position for a sell) until it ends."""
        holding = slot.holding
        reserved = check.required_cash if side == "buy" else _ZERO
        self.book.reserved_cash += reserved
        if side == "sell":
            holding.pending_sells += quantity
        else:
            holding.pending_buy_notional += check.notional
        self.orders[order_id] = TrackedOrder(
            order_id,
            slot.strategy_id,
            slot.symbol,
            side,
            quantity,
            purpose,
            reserved,
            pending_notional=check.notional if side == "buy" else _ZERO,
            reference_price=price,
            submitted_ns=ts,
        )

    def _submit(
        self,
        slot: StrategySlot,
        order_id: UUID,
        side: Side,
        quantity: Decimal,
        purpose: Purpose,
        cause: Cause,
    ) -> OrderSubmitted:
        """The order as recorded; it reaches the venue once recorded (``send`` queues it)."""
        submitted = OrderSubmitted(
            originator_id=order_id,
            originator_version=2,
            order_id=order_id,
            client_order_id=order_id.hex,
            strategy_id=slot.strategy_id,
            venue=self.session.venue,
            symbol=slot.symbol,
            side=side,
            order_type="market",
            quantity=quantity,
            ts_event=cause.ts_event,
            purpose=purpose,
        )
        self.send(submitted)
        return submitted
