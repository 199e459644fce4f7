import itertools
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.reporting.stats import compute_stats
from application.reporting.trades import RoundTrip

NS = 10**9
DAY = 86_400


def trip(pnl: str) -> RoundTrip:
    return RoundTrip("s", "X", 0, Decimal(1), Decimal(1), 1, Decimal(1), Decimal(pnl))


def test_statistics_of_a_small_daily_curve_worked_by_hand() -> None:
    ts = [i * DAY * NS for i in range(5)]
    equity = [Decimal(v) for v in ("100", "110", "99", "108.9", "121")]
    stats = compute_stats(ts, equity, Decimal(100), [trip("15"), trip("-5"), trip("11")], 3)
    assert stats["periods_per_year"] == 365
    assert stats["total_return_pct"] == pytest.approx(21.0)
    returns = [0.10, -0.10, 0.10, 121 / 108.9 - 1]
    mean = sum(returns) / 4
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / 3)
    assert stats["sharpe"] == pytest.approx(mean / std * math.sqrt(365), rel=1e-6)
    downside = math.sqrt(0.01 / 4)
    assert stats["sortino"] == pytest.approx(mean / downside * math.sqrt(365), rel=1e-6)
    assert stats["max_drawdown_pct"] == pytest.approx(10.0)
    assert stats["max_drawdown_duration_s"] == 3 * DAY  # peak at day 1, recovered at day 4
    assert stats["cagr_pct"] == pytest.approx((1.21 ** (365 / 4) - 1) * 100, rel=1e-9)
    assert stats["win_rate_pct"] == pytest.approx(200 / 3)
    assert stats["profit_factor"] == pytest.approx(26 / 5)
    assert stats["expectancy"] == "7"
    assert stats["exposure_time_pct"] == 60


def test_probabilistic_sharpe_of_the_worked_curve_by_its_formula() -> None:
    ts = [i * DAY * NS for i in range(5)]
    equity = [Decimal(v) for v in ("100", "110", "99", "108.9", "121")]
    stats = compute_stats(ts, equity, Decimal(100), [], 0)
    returns = [0.10, -0.10, 0.10, 121 / 108.9 - 1]
    n, mean = 4, sum(returns) / 4
    sharpe = mean / math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1))
    moment = [sum((r - mean) ** k for r in returns) / n for k in (2, 3, 4)]
    skew, kurtosis = moment[1] / moment[0] ** 1.5, moment[2] / moment[0] ** 2
    z = sharpe * math.sqrt(n - 1) / math.sqrt(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2)
    assert stats["probabilistic_sharpe"] == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)), abs=1e-6)


def _curve(returns: list[float]) -> list[Decimal]:
    equity = [Decimal(100)]
    for r in returns:
        equity.append(equity[-1] * (1 + Decimal(repr(r))))
    return equity


def test_probabilistic_sharpe_of_two_point_returns_is_the_normal_cdf_of_sharpe_root_n() -> None:
    # Returns m + d and m - d alternating: no skew, kurtosis 1, so PSR = Phi(SR * sqrt(n - 1)).
    m, d, n = 0.001, 0.01, 200
    days = [i * DAY * NS for i in range(n + 1)]
    stats = compute_stats(
        days, _curve([m + d if i % 2 == 0 else m - d for i in range(n)]), Decimal(100), [], 0
    )
    sharpe = m / (d * math.sqrt(n / (n - 1)))
    expected = 0.5 * math.erfc(-sharpe * math.sqrt(n - 1) / math.sqrt(2))
    assert stats["probabilistic_sharpe"] == pytest.approx(expected, abs=1e-5)
    assert 0.5 < expected < 0.95  # a per-period Sharpe of 0.1 over 200 periods is not yet convincing
    losing = compute_stats(
        days, _curve([-m + d if i % 2 == 0 else -m - d for i in range(n)]), Decimal(100), [], 0
    )
    assert losing["probabilistic_sharpe"] == pytest.approx(1 - expected, abs=1e-5)


def test_no_trades_and_a_flat_curve_leave_undefined_ratios_empty() -> None:
    stats = compute_stats([0, NS], [Decimal(5), Decimal(5)], Decimal(5), [], 0)
    assert stats["sharpe"] is None and stats["win_rate_pct"] is None and stats["max_drawdown_pct"] == 0
    assert stats["probabilistic_sharpe"] is None


def _longest_drawdown_bar_by_bar(ts: list[int], equity: list[int]) -> int:
    """The definition walked bar by bar: from the peak before a fall to the first bar back at it."""
    longest, peak, start = 0, equity[0], None
    for index, value in enumerate(equity):
        peak = max(peak, value)
        if value < peak:
            start = index - 1 if start is None else start
        elif start is not None:
            longest, start = max(longest, ts[index] - ts[start]), None
    if start is not None:
        longest = max(longest, ts[-1] - ts[start])
    return longest // NS


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=40))
def test_the_longest_drawdown_matches_the_definition_walked_bar_by_bar(
    points: list[tuple[int, int]],
) -> None:
    equity = [value for value, _ in points]
    ts = list(itertools.accumulate(gap * DAY * NS for _, gap in points))
    stats = compute_stats(ts, [Decimal(v) for v in equity], Decimal(1), [], 0)
    assert stats["max_drawdown_duration_s"] == _longest_drawdown_bar_by_bar(ts, equity)


def test_a_given_float_curve_gives_the_statistics_of_the_decimal_one() -> None:
    ts = [i * DAY * NS for i in range(6)]
    equity = [Decimal(v) for v in ("100", "100.1", "99.37", "104.2", "101.05", "110.003")]
    from_decimals = compute_stats(ts, equity, Decimal(100), [trip("3")], 4)
    given_curve = compute_stats(ts, equity, Decimal(100), [trip("3")], 4, curve=[float(e) for e in equity])
    assert given_curve == from_decimals
    with pytest.raises(ValueError, match="5 points, the equity 6"):
        compute_stats(ts, equity, Decimal(100), [], 0, curve=[100.0] * 5)
