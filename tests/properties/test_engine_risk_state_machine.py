"""The engine with the full risk engine under random interleavings of everything that can happen.

Bars and price moves, strategy signals, fills (partial, repeated), venue rejections,
operator commands and day boundaries, in any order. Invariants at every approval:
the trade cap and the strategy cap hold with pending orders counted; nothing adds
exposure while HALTED, EMERGENCY or REDUCING; the equity an approval names equals a
brute-force recomputation from the fills. At the end, replaying the inputs through a
fresh engine reproduces every decision byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from hypothesis import event as label
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from application.engine.build import engine_for
from application.engine.engine import Engine
from application.engine.full_risk import FullRisk
from domain.events import (
    AnyBar,
    Bar,
    BreakerChanged,
    Event,
    OperatorCommand,
    OrderApproved,
    OrderDenied,
    SessionStarted,
    StrategyConfig,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.ids import derive_id
from domain.market.runs import BarRun
from domain.risk.breaker import TradingState
from domain.risk.limits import NS_PER_DAY, RiskLimits
from domain.risk.manager import ScopedTransition
from domain.strategies import STRATEGIES, StrategyIntent
from domain.strategies.base import InputSpec, scan_each
from infrastructure.store.codec import EventCodec

START = Decimal(100_000)
MINUTE = 60_000_000_000
STRATEGY = "scripted:T/USD"


class Scripted:
    """A strategy the test steers through the bars themselves (so replay sees the same inputs):
    volume 1000 + q means buy q, volume 2 means close the position, volume 1 means nothing."""

    name: ClassVar[str] = "scripted"
    version: ClassVar[int] = 1

    def __init__(self, params: Mapping[str, str]) -> None:
        pass

    def inputs(self, symbol: str) -> tuple[InputSpec, ...]:
        return (InputSpec("bar", symbol),)

    def scan(
        self, run: BarRun, start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        return scan_each(self, run, start, stop, position)

    def on_bar(self, bar: AnyBar, position: Decimal) -> StrategyIntent | None:
        if bar.volume >= 1000:
            return StrategyIntent("buy", bar.volume - 1000, "test", ())
        if bar.volume == 2 and position > 0:
            return StrategyIntent("close", position, "test", ())
        return None


STRATEGIES.setdefault(Scripted.name, Scripted)  # type: ignore[arg-type]


def new_session() -> SessionStarted:
    config = StrategyConfig(strategy_id=STRATEGY, name="scripted", version=1, symbol="T/USD", params=())
    return SessionStarted(
        originator_id=UUID(int=1),
        originator_version=1,
        mode="backtest",
        account="a",
        currency="USD",
        starting_cash=START,
        venue="sim",
        fee_rate=Decimal("0.001"),
        slippage_bps=Decimal(0),
        close_at_end=False,
        strategies=(config,),
        code_version="t",
        limits=RiskLimits(),
    )


def full_risk(engine: Engine) -> FullRisk:
    assert isinstance(engine.risk, FullRisk)
    return engine.risk


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.session = new_session()
        self.engine = engine_for(self.session)
        self.every_mark = engine_for(self.session)  # the same engine taking every mark in full
        marks = full_risk(self.every_mark).marks

        def take_in_full(bar: Bar) -> list[ScopedTransition]:
            marks.flush()
            return marks._full(bar)

        marks.take = take_in_full  # type: ignore[method-assign]
        self.inputs: list[Event] = [self.session]
        self.decisions: list[Event] = []
        self.price = Decimal(100)
        self.ts = 0
        self.bars = 0
        self.venue_version = 0
        self.ops = 0
        self.cash = START
        self.position = Decimal(0)
        self.fill_ids: set[str] = set()
        self.bar()

    # inputs ---------------------------------------------------------------------------

    def feed(self, event: Event) -> Sequence[Event]:
        applied_before = self.engine.book.fills_applied
        decisions = self.engine.handle(event)
        self.engine.outbox.clear()
        self.check_marks_left_for_later_change_nothing(event, decisions)
        self.inputs.append(event)
        self.decisions.extend(decisions)
        if isinstance(event, VenueOrderFilled) and self.engine.book.fills_applied > applied_before:
            signed = event.quantity if event.side == "buy" else -event.quantity
            self.cash -= signed * event.price + event.fee
            self.position += signed
        for decision in decisions:
            if isinstance(decision, OrderApproved):
                self.check_approval(decision)
                label(f"approved {decision.side}")
            elif isinstance(decision, OrderDenied):
                label(f"denied: {decision.reason}")
            elif isinstance(decision, BreakerChanged):
                label(f"breaker -> {decision.after}")
        return decisions

    def bar(self, move: Decimal = Decimal(0), minutes: int = 1, volume: Decimal = Decimal(1)) -> None:
        self.ts += minutes * MINUTE
        self.bars += 1
        self.price = max(self.price * (1 + move), Decimal(1))
        p = self.price
        self.feed(
            Bar(
                originator_id=derive_id("bars"),
                originator_version=self.bars,
                venue="sim",
                symbol="T/USD",
                ts_event=self.ts,
                ts_recv=self.ts,
                open=p,
                high=p,
                low=p,
                close=p,
                volume=volume,
            )
        )

    def venue_event(self, kind: type, order_id: UUID, **fields: object) -> None:
        self.venue_version += 1
        self.feed(
            kind(
                originator_id=derive_id("venue"),
                originator_version=self.venue_version,
                order_id=order_id,
                venue="sim",
                ts_event=self.ts,
                ts_recv=self.ts,
                **fields,
            )
        )

    # rules ------------------------------------------------------------------------------

    @rule(
        move=st.decimals(min_value=Decimal("-0.08"), max_value=Decimal("0.05"), places=3),
        minutes=st.integers(min_value=1, max_value=240),
    )
    def price_moves(self, move: Decimal, minutes: int) -> None:
        self.bar(move, minutes)

    @rule()
    def day_boundary(self) -> None:
        self.bar(minutes=NS_PER_DAY // MINUTE)

    @rule(quantity=st.decimals(min_value=Decimal(1), max_value=Decimal(150), places=0))
    def signal_buy(self, quantity: Decimal) -> None:
        self.bar(volume=1000 + quantity)

    @rule()
    def signal_close(self) -> None:
        held = self.engine.slots[0].quantity - self.engine.slots[0].pending_sells
        if held > 0:
            self.bar(volume=Decimal(2))

    @rule(part=st.sampled_from(["all", "half"]), repeat=st.booleans(), too_much=st.booleans())
    def fill(self, part: str, repeat: bool, too_much: bool) -> None:
        if not self.engine.orders:
            return
        order = next(iter(self.engine.orders.values()))
        remaining = order.fills.remaining
        quantity = remaining if part == "all" else max(remaining // 2, Decimal(1))
        if too_much:
            quantity = remaining + 1
        trade_id = f"{order.order_id.hex}-{order.fills.filled}"
        fee = quantity * self.price * Decimal("0.001")
        for _ in range(2 if repeat else 1):
            self.venue_event(
                VenueOrderFilled,
                order.order_id,
                trade_id=trade_id,
                side=order.side,
                quantity=quantity,
                price=self.price,
                fee=fee,
                expected_price=self.price,
            )

    @rule()
    def venue_rejects(self) -> None:
        if self.engine.orders:
            order = next(iter(self.engine.orders.values()))
            self.venue_event(VenueOrderRejected, order.order_id, reason="test: venue error")

    @rule(command=st.sampled_from(["halt", "resume", "flatten"]))
    def operator(self, command: str) -> None:
        self.ops += 1
        self.feed(
            OperatorCommand(
                originator_id=derive_id("ops"),
                originator_version=self.ops,
                command=command,
                scope="account",
                issued_by="test",  # type: ignore[arg-type]
                reason="property test",
                ts_event=self.ts,
            )
        )

    # invariants ---------------------------------------------------------------------------

    def check_marks_left_for_later_change_nothing(self, event: Event, decisions: Sequence[Event]) -> None:
        codec = EventCodec()
        expected = self.every_mark.handle(event)
        self.every_mark.outbox.clear()
        assert [codec.encode(d) for d in decisions] == [codec.encode(d) for d in expected]

    def check_approval(self, approved: OrderApproved) -> None:
        assert approved.equity is not None and approved.strategy_exposure is not None
        marked = self.cash + self.position * self.price
        assert approved.equity == marked, "equity named by the approval equals the brute-force figure"
        manager = full_risk(self.engine).manager
        limits = manager.limits
        if approved.side == "buy":
            assert manager.state_for(STRATEGY) < TradingState.REDUCING
            cap = limits.max_trade_pct * manager.size_cap_pct(STRATEGY) / 100
            assert approved.notional <= approved.equity * cap / 100
            assert approved.strategy_exposure + approved.notional <= (
                approved.equity * limits.max_strategy_exposure_pct / 100
            )
            pending = sum(
                (
                    o.pending_notional
                    for o in self.engine.orders.values()
                    if o.side == "buy" and o.order_id != approved.order_id
                ),
                Decimal(0),
            )
            held = self.position * self.price
            assert approved.strategy_exposure == held + pending, "pending orders are counted"

    def teardown(self) -> None:
        ours, full = (
            full_risk(self.engine).manager,
            full_risk(self.every_mark).manager,
        )  # takes the pending mark
        assert vars(ours.account_watch) == vars(full.account_watch)
        for strategy_id, watch in ours.strategy_watches.items():
            assert vars(watch) == vars(full.strategy_watches[strategy_id])
        codec = EventCodec()
        replayed: list[bytes] = []
        engine = engine_for(self.session)
        for event in self.inputs[1:]:
            replayed += [codec.encode(d) for d in engine.handle(event)]
            engine.outbox.clear()
        assert replayed == [codec.encode(d) for d in self.decisions]


EngineMachine.TestCase.settings = settings(max_examples=120, stateful_step_count=50, deadline=None)
test_engine_with_full_risk_under_random_interleavings = EngineMachine.TestCase
