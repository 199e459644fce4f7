from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

import pytest

from domain.risk.breaker import Breaker, BreakerError, Measures, TradingState
from domain.risk.limits import NS_PER_HOUR, InvalidLimits, RiskLimits

S = TradingState
LIMITS = RiskLimits()


def m(drawdown: str, daily: str = "0") -> Measures:
    return Measures(D(drawdown), D(daily))


@pytest.mark.parametrize(
    ("measures", "state"),
    [
        (m("2.99"), S.ACTIVE),
        (m("3"), S.WARNING),
        (m("5"), S.HALTED),
        (m("10"), S.EMERGENCY),
        (m("0", "2"), S.REDUCING),
        (m("0", "3"), S.HALTED),
        (m("3", "2.5"), S.REDUCING),
    ],
)
def test_tiers_map_to_states(measures: Measures, state: TradingState) -> None:
    breaker = Breaker()
    breaker.assess(measures, LIMITS, 0)
    assert breaker.state == state


def test_a_crossed_tier_sticks_until_a_reset_and_the_transition_says_why() -> None:
    breaker = Breaker()
    change = breaker.assess(m("5.5"), LIMITS, 0)
    assert change is not None and (change.before, change.after) == (S.ACTIVE, S.HALTED)
    assert "drawdown 5.50% from the high-water mark reached the halt tier 5%" in change.reason
    assert breaker.assess(m("0"), LIMITS, 1) is None
    assert breaker.state == S.HALTED
    reset = breaker.reset("operator alice: cleared", m("0"), 2)
    assert reset is not None and reset.after == S.ACTIVE


def test_recovery_ramps_size_caps_and_a_breach_during_the_ramp_halts_again() -> None:
    breaker = Breaker()
    breaker.assess(m("6"), LIMITS, 0)
    breaker.reset("operator", m("0"), 0)
    caps = []
    for hour in range(5):
        breaker.assess(m("0"), LIMITS, hour * NS_PER_HOUR)
        caps.append(breaker.size_cap_pct(LIMITS))
    assert caps == [D(25), D(50), D(75), D(100), D(100)]
    breaker.assess(m("7"), LIMITS, 11 * NS_PER_HOUR)
    assert breaker.state == S.HALTED
    breaker.reset("operator", m("0"), 12 * NS_PER_HOUR)
    change = breaker.assess(m("3.1"), LIMITS, 12 * NS_PER_HOUR + 1)
    assert change is not None and change.after == S.HALTED and "breach during recovery" in change.reason


def test_a_new_day_lifts_the_daily_loss_halt_but_not_a_drawdown_tier() -> None:
    breaker = Breaker()
    breaker.assess(m("4", "3.2"), LIMITS, 0)
    assert breaker.state == S.HALTED
    change = breaker.new_day(m("4", "0"))
    assert change is not None and change.after == S.WARNING


def test_operator_halt_and_flatten_stick_until_reset() -> None:
    breaker = Breaker()
    assert breaker.halt("alice: news", m("0")) is not None
    breaker.assess(m("0"), LIMITS, 1)
    assert breaker.state == S.HALTED
    assert breaker.flatten("alice: exchange outage", m("0")) is not None
    assert breaker.state == S.EMERGENCY
    breaker.reset("alice: all clear", m("0"), 2)
    assert breaker.state == S.ACTIVE


def test_resetting_an_active_breaker_is_refused() -> None:
    with pytest.raises(BreakerError, match="nothing to reset"):
        Breaker().reset("why", m("0"), 0)


def test_strategy_breakers_halt_at_their_own_drawdown_only() -> None:
    breaker = Breaker(strategy=True)
    breaker.assess(m("7.9", "50"), LIMITS, 0)
    assert breaker.state == S.ACTIVE
    breaker.assess(m("8"), LIMITS, 1)
    assert breaker.state == S.HALTED


@pytest.mark.parametrize(
    "bad",
    [
        {"drawdown_halt_pct": D(2)},
        {"daily_loss_halt_pct": D(1)},
        {"max_trade_pct": D(0)},
        {"recovery_steps_pct": (D(50), D(25), D(100))},
        {"recovery_steps_pct": (D(50),)},
    ],
)
def test_contradictory_limits_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidLimits):
        RiskLimits(**bad).validated()  # type: ignore[arg-type]


def test_a_tier_reached_only_at_a_refused_price_halts_new_exposure_at_once_and_flattens_nothing() -> None:
    breaker = Breaker()
    change = breaker.probe(m("12"), LIMITS)  # past the emergency tier, at a refused price
    assert change is not None and (change.before, change.after) == (S.ACTIVE, S.HALTED)
    assert change.reason.startswith("unconfirmed_price: drawdown 12.00%")
    assert breaker.state == S.HALTED != S.EMERGENCY


def test_a_warning_at_a_refused_price_changes_nothing() -> None:
    breaker = Breaker()
    assert breaker.probe(m("4"), LIMITS) is None and breaker.state == S.ACTIVE


def test_a_confirmed_calm_price_lifts_the_halt_for_an_unconfirmed_one() -> None:
    breaker = Breaker()
    breaker.probe(m("12"), LIMITS)
    change = breaker.assess(m("1"), LIMITS, 0)
    assert change is not None and (change.before, change.after) == (S.HALTED, S.ACTIVE)
    assert change.reason == "a confirmed price lifts the halt for an unconfirmed one"


def test_a_confirmed_crash_goes_on_to_its_own_tier() -> None:
    breaker = Breaker()
    breaker.probe(m("12"), LIMITS)
    change = breaker.assess(m("11"), LIMITS, 0)
    assert change is not None and (change.before, change.after) == (S.HALTED, S.EMERGENCY)
    assert "emergency tier" in change.reason


def test_the_halt_stays_while_a_refused_price_is_still_pending_elsewhere() -> None:
    breaker = Breaker()
    breaker.probe(m("12"), LIMITS)
    assert breaker.assess(m("1"), LIMITS, 0, confirmed=False) is None
    assert breaker.state == S.HALTED


def test_a_refused_price_below_the_confirmed_floor_adds_nothing() -> None:
    breaker = Breaker()
    breaker.assess(m("6"), LIMITS, 0)  # HALTED by a confirmed drawdown
    assert breaker.probe(m("5.5"), LIMITS) is None
