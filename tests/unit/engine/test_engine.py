"""The engine alone: fills, the risk gate, protective exits, determinism of ids."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from application.engine.build import engine_for
from application.engine.engine import Engine
from domain.events import (
    Bar,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    SignalGenerated,
    StrategyConfig,
    VenueOrderFilled,
)
from domain.ids import derive_id

SESSION_ID = UUID(int=7)
BARS = derive_id("bars")
FILLS = derive_id("fills")


def session(cash: str = "1000", size: str = "1", **exits: Decimal) -> SessionStarted:
    strategy = StrategyConfig(
        strategy_id="s1",
        name="sma_cross",
        version=1,
        symbol="T/USD",
        params=(("fast", "2"), ("size", size), ("slow", "3")),
        **exits,
    )
    return SessionStarted(
        originator_id=SESSION_ID,
        originator_version=1,
        mode="backtest",
        account="a",
        currency="USD",
        starting_cash=Decimal(cash),
        venue="sim",
        fee_rate=Decimal(0),
        slippage_bps=Decimal(0),
        close_at_end=False,
        strategies=(strategy,),
        code_version="t",
    )


def bar(version: int, close: str, low: str | None = None) -> Bar:
    c = Decimal(close)
    return Bar(
        originator_id=BARS,
        originator_version=version,
        venue="sim",
        symbol="T/USD",
        ts_event=version * 60 * 10**9,
        ts_recv=version * 60 * 10**9,
        open=c,
        high=c,
        low=Decimal(low) if low else c,
        close=c,
        volume=Decimal(1),
    )


def fill(
    order: OrderSubmitted, trade_id: str, quantity: str, price: str, version: int = 1, fee: str = "0"
) -> VenueOrderFilled:
    return VenueOrderFilled(
        originator_id=FILLS,
        originator_version=version,
        order_id=order.order_id,
        venue="sim",
        ts_event=0,
        ts_recv=0,
        trade_id=trade_id,
        side=order.side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        expected_price=Decimal(price),
    )


def cross_up(engine: Engine) -> list[object]:
    decisions: list[object] = []
    for version, close in enumerate(["10", "10", "9", "8", "11"], 1):
        decisions += engine.handle(bar(version, close))
    return decisions


def test_a_cross_becomes_signal_approval_and_submission_with_derived_ids() -> None:
    engine = engine_for(session())
    signal, approved, submitted = cross_up(engine)
    assert isinstance(signal, SignalGenerated) and isinstance(approved, OrderApproved)
    assert isinstance(submitted, OrderSubmitted) and engine.outbox == [submitted]
    assert signal.cause.stream == BARS and signal.cause.version == 5
    assert approved.cause.stream == signal.originator_id
    assert submitted.order_id == derive_id("order", str(signal.originator_id), "1")
    again = engine_for(session())
    assert cross_up(again) == [signal, approved, submitted]


def test_a_buy_without_the_cash_is_denied_with_the_numbers() -> None:
    engine = engine_for(session(cash="50", size="10"))
    _signal, denied = cross_up(engine)
    assert isinstance(denied, OrderDenied)
    assert denied.reason == "insufficient_cash"
    assert "buy needs 110.00 cash, 50.00 available" in denied.message
    assert engine.outbox == []


def test_duplicate_fills_never_double_the_position() -> None:
    engine = engine_for(session())
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.handle(fill(submitted, "t1", "1", "11"))
    engine.handle(fill(submitted, "t1", "1", "11", version=2))
    assert engine.position("s1") == 1
    assert engine.book.cash == Decimal(989)


def test_a_fill_beyond_the_order_is_not_applied() -> None:
    engine = engine_for(session())
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.handle(fill(submitted, "t1", "5", "11"))
    assert engine.position("s1") == 0
    engine.handle(fill(submitted, "t2", "1", "11", version=2))
    assert engine.position("s1") == 1


def test_a_stop_loss_closes_the_position_when_a_bar_reaches_it() -> None:
    engine = engine_for(session(stop_loss_pct=Decimal(5)))
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.outbox.clear()
    engine.handle(fill(submitted, "t1", "1", "10"))
    assert list(engine.handle(bar(6, "12", low="9.6"))) == []
    signal, _approved, exit_order = engine.handle(bar(7, "12", low="9.4"))
    assert isinstance(signal, SignalGenerated) and signal.action == "close"
    assert "stop loss 9.50" in signal.reason
    assert isinstance(exit_order, OrderSubmitted) and exit_order.purpose == "stop_loss"
    assert exit_order.side == "sell" and exit_order.quantity == 1


def test_a_sell_is_never_approved_beyond_the_position() -> None:
    engine = engine_for(session())
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.handle(fill(submitted, "t1", "1", "10"))
    decisions = [d for v, c in enumerate(["12", "9", "8"], 6) for d in engine.handle(bar(v, c))]
    approvals = [d for d in decisions if isinstance(d, OrderApproved)]
    assert len(approvals) == 1 and approvals[0].side == "sell" and approvals[0].quantity == 1
