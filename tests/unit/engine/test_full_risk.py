"""The engine with the full risk engine: breakers trip on marks, limits deny, operators command."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from application.engine.build import engine_for
from application.engine.engine import Engine
from application.engine.full_risk import FullRisk
from domain.events import (
    BreakerChanged,
    LimitsChanged,
    MarketDataRefused,
    OperatorCommand,
    OperatorCommandRefused,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
)
from domain.ids import derive_id
from domain.risk.limits import RiskLimits, StrategyLimits
from tests.unit.engine.test_engine import bar, cross_up, fill, session

OPS = derive_id("operator")


def full(cash: str = "1000", size: str = "1", **limits: object) -> Engine:
    limits.setdefault("max_price_jump_pct", Decimal(90))  # the test bars jump by up to 37%
    base = session(cash=cash, size=size)
    return engine_for(msgspec.structs.replace(base, limits=RiskLimits(**limits)))  # type: ignore[arg-type]


def command(kind: str, version: int = 1, scope: str = "account") -> OperatorCommand:
    return OperatorCommand(
        originator_id=OPS,
        originator_version=version,
        command=kind,  # type: ignore[arg-type]
        scope=scope,
        issued_by="alice",
        reason="testing",
        ts_event=10**12,
    )


def test_a_trade_above_the_cap_is_denied_with_the_limits_version_and_numbers() -> None:
    engine = full(size="3")
    _signal, denied = cross_up(engine)
    assert isinstance(denied, OrderDenied)
    assert denied.reason == "trade_too_large" and denied.limits_version == "limits-1"
    assert denied.message == "trade notional would be 3.30% of equity, limit 2.00%"


def test_a_loss_trips_the_account_breaker_and_halts_new_entries() -> None:
    engine = full(cash="1000", size="1", max_trade_pct=Decimal(5), max_strategy_exposure_pct=Decimal(100))
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.outbox.clear()
    # the position (1 unit) cannot lose 5% of 1000: take the cash down with a fee instead
    engine.handle(fill(submitted, "t1", "1", "11", fee="60"))
    decisions = engine.handle(bar(6, "11"))
    changes = [d for d in decisions if isinstance(d, BreakerChanged)]
    assert [(c.scope, c.before, c.after) for c in changes] == [("account", "ACTIVE", "HALTED")]
    assert "drawdown 6.00% from the high-water mark reached the halt tier 5%" in changes[0].reason
    assert changes[0].cause.version == 6


def test_operator_halt_and_resume_are_recorded_with_who_and_why() -> None:
    engine = full()
    [halted] = engine.handle(command("halt"))
    assert isinstance(halted, BreakerChanged) and halted.after == "HALTED"
    assert halted.reason == "halt by alice: testing"
    _signal, denied = cross_up(engine)
    assert isinstance(denied, OrderDenied) and denied.reason == "halted"
    [resumed] = engine.handle(command("resume", 2))
    assert isinstance(resumed, BreakerChanged) and resumed.after == "ACTIVE"


def test_flatten_closes_every_position_with_market_orders() -> None:
    engine = full()
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.outbox.clear()
    engine.handle(fill(submitted, "t1", "1", "11"))
    decisions = engine.handle(command("flatten"))
    change = decisions[0]
    assert isinstance(change, BreakerChanged) and change.after == "EMERGENCY"
    exits = [d for d in decisions if isinstance(d, OrderSubmitted)]
    assert [(e.side, e.quantity, e.purpose) for e in exits] == [("sell", Decimal(1), "flatten")]
    assert any(isinstance(d, OrderApproved) for d in decisions)


def test_a_command_that_does_not_apply_is_refused_as_an_event_not_a_crash() -> None:
    engine = full()
    [refused] = engine.handle(command("resume"))
    assert isinstance(refused, OperatorCommandRefused)
    assert refused.reason == "account is ACTIVE and not recovering; there is nothing to resume"
    assert refused.issued_by == "alice" and refused.cause.stream == OPS
    [unknown] = engine.handle(command("halt", 2, scope="nope"))
    assert isinstance(unknown, OperatorCommandRefused) and "unknown scope" in unknown.reason


def test_stale_or_jumping_bars_are_refused_and_unseen_by_strategies() -> None:
    engine = full(max_price_jump_pct=Decimal(20))
    engine.handle(bar(1, "10"))
    stale = msgspec.structs.replace(bar(2, "10"), ts_recv=bar(2, "10").ts_event + 600_000_000)
    [refused] = engine.handle(stale)
    assert isinstance(refused, MarketDataRefused) and refused.reason == "stale"
    assert "600.0 ms old" in refused.message
    [jump] = engine.handle(bar(3, "13"))
    assert isinstance(jump, MarketDataRefused) and jump.reason == "price_deviation"
    assert engine.book.last_prices["T/USD"] == 10


def test_risk_mode_caps_quantity_times_stop_distance() -> None:
    base = session(size="10", stop_loss_pct=Decimal(5))
    limits = RiskLimits(
        trade_cap_mode="risk", max_price_jump_pct=Decimal(90), max_strategy_exposure_pct=Decimal(100)
    )
    engine = engine_for(msgspec.structs.replace(base, limits=limits))
    _signal, approved, _submitted = cross_up(engine)  # notional 110 = 11% of equity, risk 5.5 = 0.55%
    assert isinstance(approved, OrderApproved)
    engine = engine_for(msgspec.structs.replace(session(size="50", stop_loss_pct=Decimal(5)), limits=limits))
    _signal, denied = cross_up(engine)  # risk 50 x 11 x 5% = 27.5 = 2.75% of equity
    assert isinstance(denied, OrderDenied)
    assert denied.message == "trade risk (quantity x stop distance) would be 2.75% of equity, limit 2.00%"


def test_a_limits_change_is_an_input_and_later_decisions_name_its_version() -> None:
    engine = full(size="3")
    looser = RiskLimits(version=2, max_trade_pct=Decimal(5), max_price_jump_pct=Decimal(90))
    change = LimitsChanged(
        originator_id=OPS,
        originator_version=9,
        limits=looser,
        issued_by="alice",
        reason="more room",
        ts_event=0,
    )
    assert list(engine.handle(change)) == []
    _signal, approved, _submitted = cross_up(engine)
    assert isinstance(approved, OrderApproved) and approved.limits_version == "limits-2"
    stale = LimitsChanged(
        originator_id=OPS,
        originator_version=10,
        limits=RiskLimits(version=2),
        issued_by="bob",
        reason="oops",
        ts_event=0,
    )
    [refused] = engine.handle(stale)
    assert isinstance(refused, OperatorCommandRefused) and "not newer" in refused.reason


def test_a_strategy_can_have_its_own_tighter_caps() -> None:
    base = session(size="3")
    own = StrategyLimits(max_trade_pct=Decimal(1))
    strategy = msgspec.structs.replace(base.strategies[0], limits=own)
    loose = RiskLimits(max_trade_pct=Decimal(5), max_price_jump_pct=Decimal(90))
    engine = engine_for(msgspec.structs.replace(base, strategies=(strategy,), limits=loose))
    _signal, denied = cross_up(engine)  # 33 = 3.3% of equity: fine for the account, not for the strategy
    assert isinstance(denied, OrderDenied)
    assert denied.message == "trade notional would be 3.30% of equity, limit 1.00%"


def full_risk(engine: Engine) -> FullRisk:
    assert isinstance(engine.risk, FullRisk)
    return engine.risk


def test_adaptive_thresholds_are_off_by_default_and_follow_the_regime_when_on() -> None:
    assert full_risk(full()).regime is None
    adaptive = full(adaptive_window=2)
    for version in range(1, 60):
        adaptive.handle(bar(version, "10" if version % 2 else "10.5"))
    for version in range(60, 70):
        adaptive.handle(bar(version, "10"))
    risk = full_risk(adaptive)
    assert risk.scale == Decimal("0.50")
    assert risk.limits.drawdown_halt_pct == Decimal("2.50") and risk.base_limits.drawdown_halt_pct == 5


def test_an_entry_in_an_instrument_that_traded_too_little_is_denied_with_the_value() -> None:
    engine = full(liquidity_window_ns=120 * 10**9)  # a 2-minute window: the test bars trade 1 unit each
    _signal, denied = cross_up(engine)
    assert isinstance(denied, OrderDenied) and denied.reason == "illiquid"
    assert denied.message == "T/USD traded 55 USD over the last 0 h, below the floor 10,000 USD"


def test_marks_left_for_later_inside_a_calm_band_are_taken_before_anyone_reads_the_watches() -> None:
    engine = full(max_trade_pct=Decimal(5), max_strategy_exposure_pct=Decimal(100))
    *_, submitted = cross_up(engine)
    assert isinstance(submitted, OrderSubmitted)
    engine.outbox.clear()
    engine.handle(fill(submitted, "t1", "1", "11"))
    for version, close in enumerate(["11", "11.2", "11.1", "11.3", "11.25", "11.2"], 6):
        engine.handle(bar(version, close))  # the last two are inside the band below the new high
    risk = full_risk(engine)
    assert risk.marks._pending is not None
    watch = risk.manager.account_watch  # reading the manager takes the pending mark first
    assert risk.marks._pending is None
    assert watch.last == engine.book.cash + Decimal("11.2") == Decimal("1000.2")
    assert watch.high_water == Decimal("1000.3")
