import math
from decimal import Decimal

import pytest

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


def test_no_trades_and_a_flat_curve_leave_undefined_ratios_empty() -> None:
    stats = compute_stats([0, NS], [Decimal(5), Decimal(5)], Decimal(5), [], 0)
    assert stats["sharpe"] is None and stats["win_rate_pct"] is None and stats["max_drawdown_pct"] == 0
