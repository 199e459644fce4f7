from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

from domain.risk.execution import ExecutionBreaker, ExecutionState, Outcome
from domain.risk.limits import RiskLimits

LIMITS = RiskLimits(execution_window=10, execution_min_samples=5, execution_cooldown_ns=100)
OK = Outcome(1_000_000, None, False)
ERROR = Outcome(None, None, True)


def test_an_error_rate_above_the_limit_opens_the_breaker_with_the_numbers() -> None:
    breaker = ExecutionBreaker(LIMITS)
    for _ in range(8):
        assert breaker.observe(OK, 0) is None
    breaker.observe(ERROR, 1)
    change = breaker.observe(ERROR, 2)
    assert breaker.state == ExecutionState.CLOSED and change is None  # 2 of 10: exactly 20%
    change = breaker.observe(ERROR, 3)
    assert change is not None and change.after == ExecutionState.OPEN
    assert change.reason == "venue error rate 30.0% over the last 10 orders, limit 20%"


def test_a_new_window_size_applies_to_the_newest_outcomes() -> None:
    breaker = ExecutionBreaker(LIMITS)
    for outcome in [OK] * 8 + [ERROR] * 2:  # 2 errors in 10: at the 20% limit, not over it
        assert breaker.observe(outcome, 0) is None
    breaker.use(RiskLimits(execution_window=5, execution_min_samples=5, execution_cooldown_ns=100))
    assert list(breaker.window) == [OK] * 3 + [ERROR] * 2  # the oldest fell out of the shorter window
    change = breaker.observe(OK, 1)  # 2 errors in the last 5: 40%
    assert change is not None and change.reason == "venue error rate 40.0% over the last 5 orders, limit 20%"
    breaker.use(LIMITS)
    assert list(breaker.window) == [OK] * 2 + [ERROR] * 2 + [OK] and breaker.window.maxlen == 10


def test_latency_and_slippage_each_trip_it() -> None:
    slow = ExecutionBreaker(LIMITS)
    for _ in range(5):
        change = slow.observe(Outcome(3_000_000_000, None, False), 0)
    assert change is not None and "latency 3000 ms" in change.reason
    slipping = ExecutionBreaker(LIMITS)
    for _ in range(5):
        change = slipping.observe(Outcome(None, D(80), False), 0)
    assert change is not None and "slippage 80.0 bps" in change.reason


def test_after_the_cool_down_one_probe_goes_and_its_outcome_decides() -> None:
    breaker = ExecutionBreaker(LIMITS)
    for _ in range(5):
        breaker.observe(ERROR, 0)
    assert breaker.allows_new_exposure(50) == (False, None)
    allowed, change = breaker.allows_new_exposure(100)
    assert allowed and change is not None and change.after == ExecutionState.HALF_OPEN
    assert breaker.allows_new_exposure(101) == (False, None)  # only one probe at a time
    failed = breaker.observe(ERROR, 102)
    assert failed is not None and failed.after == ExecutionState.OPEN
    breaker.allows_new_exposure(300)
    assert breaker.observe(OK, 301) is None  # acknowledged in time: judged again at the fill
    closed = breaker.observe(Outcome(None, D(1), False), 302)
    assert closed is not None and closed.after == ExecutionState.CLOSED
    assert list(breaker.window) == [] and breaker.allows_new_exposure(303) == (True, None)
