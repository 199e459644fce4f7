from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

from domain.risk.breaker import TradingState
from domain.risk.limits import RiskLimits
from domain.risk.manager import RiskManager

NS = 1_000_000_000


def manager(**limits: object) -> RiskManager:
    return RiskManager(RiskLimits(**limits), D(10_000), ["s1"])  # type: ignore[arg-type]


def check(risk: RiskManager, notional: str, exposure: str = "0", reduces: bool = False, ts: int = 0):  # type: ignore[no-untyped-def]
    return risk.check(
        strategy_id="s1",
        reduces=reduces,
        notional=D(notional),
        risk_amount=None,
        equity=D(10_000),
        strategy_exposure=D(exposure),
        account_exposure=D(exposure),
        ts_ns=ts,
    )


def test_a_trade_above_two_percent_of_equity_is_denied_with_the_numbers() -> None:
    assert check(manager(), "200").approved
    verdict = check(manager(), "201")
    assert verdict.reason == "trade_too_large"
    assert verdict.message == "trade notional would be 2.01% of equity, limit 2.00%"


def test_strategy_exposure_counts_what_is_held_and_pending() -> None:
    verdict = check(manager(), "150", exposure="970")
    assert verdict.reason == "strategy_exposure"
    assert verdict.message == "strategy exposure would be 11.20% of equity, limit 10%"


def test_halted_and_reducing_states_let_only_reducing_orders_through() -> None:
    risk = manager()
    risk.mark(NS, D(9_400), [("s1", D(10_000))])
    assert risk.state_for("s1") == TradingState.HALTED
    assert check(risk, "10").reason == "halted"
    assert check(risk, "10", reduces=True).approved
    risk = manager()
    risk.mark(NS, D(9_780), [("s1", D(10_000))])
    assert risk.state_for("s1") == TradingState.REDUCING
    assert check(risk, "10").reason == "reducing_only"


def test_the_order_rate_limit_counts_the_last_second() -> None:
    risk = manager(orders_per_second=2)
    for _ in range(2):
        assert check(risk, "1", ts=NS).approved
        risk.record_order(NS)
    assert check(risk, "1", ts=NS + NS // 2).reason == "order_rate"
    assert check(risk, "1", ts=2 * NS).approved


def test_after_a_reset_the_ramp_caps_trade_size() -> None:
    risk = manager()
    risk.mark(NS, D(9_400), [("s1", D(10_000))])
    risk.operator("resume", "account", "alice: reviewed", 2 * NS)
    assert risk.state_for("s1") == TradingState.ACTIVE
    assert check(risk, "50").approved
    assert check(risk, "51").message == "trade notional would be 0.51% of equity, limit 0.50%"
