"""Performance statistics of an equity curve and its trades (numpy, floats: analytics only).

Definitions, stated because they differ between tools:
- returns are simple returns of the marked-to-market equity from one bar's close to the next;
- periods per year = seconds in a 365-day year / the median bar spacing (crypto trades all week);
- annualized volatility = sample standard deviation (ddof=1) of returns x sqrt(periods per year);
- Sharpe = mean return / sample standard deviation x sqrt(periods per year), risk-free rate 0;
- Sortino = mean return / downside deviation x sqrt(periods per year), where the downside
  deviation is sqrt(mean(min(r, 0)^2)) over all periods (target 0);
- probabilistic Sharpe (Bailey and Lopez de Prado, 2012) = the probability that the true
  per-period Sharpe ratio is above 0, given the sample's: Phi((SR - 0) sqrt(n - 1) /
  sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2)), SR the per-period Sharpe of the n returns,
  skew and kurtosis (not excess) their population moments. A Sharpe that fat tails or a
  short sample could have produced by luck scores near 0.5, however large it looks;
- CAGR = (final / initial) ^ (1 / years) - 1, years = (last - first timestamp) / 365 days
  (None when it does not fit a float: a short run's growth compounded to a year);
- max drawdown % = largest peak-to-trough fall of the equity curve, relative to the peak;
  its duration = the longest time from a peak to the recovery of that peak (or to the end);
- win rate % = winning round trips / closed round trips; profit factor = gross wins / gross
  losses; expectancy = mean P&L per closed round trip (net of fees);
- exposure time % = bars ending with a position open / all bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from application.reporting.trades import RoundTrip

SECONDS_PER_YEAR = 365 * 24 * 3600
NS = 1_000_000_000


def periods_per_year(timestamps: np.ndarray) -> float:
    """Bars per year from the median spacing of the timestamps (ns)."""
    if len(timestamps) < 2:
        return 0.0
    spacing = float(np.median(np.diff(timestamps))) / NS
    return SECONDS_PER_YEAR / spacing if spacing > 0 else 0.0


def compute_stats(
    timestamps: Sequence[int],
    equity: Sequence[Decimal],
    starting_cash: Decimal,
    trades: Sequence[RoundTrip],
    bars_in_market: int,
    curve: Sequence[float] | None = None,
) -> dict[str, float | int | str | None]:
    """Every statistic of the report, keyed by name (None where undefined). ``curve``: the equity
    as floats, where the caller has them (each ``float`` of its Decimal); else converted here."""
    ts = np.asarray(timestamps, dtype=np.int64)
    if curve is None:
        points = np.fromiter(map(float, equity), dtype=np.float64, count=len(equity))
    else:
        points = np.asarray(curve, dtype=np.float64)
        if len(points) != len(equity):
            raise ValueError(f"the float curve has {len(points)} points, the equity {len(equity)}")
    final = equity[-1] if equity else starting_cash
    stats: dict[str, float | int | str | None] = {
        "starting_cash": str(starting_cash),
        "final_equity": str(final),
        "total_return_pct": _pct(float(final / starting_cash) - 1.0) if starting_cash else None,
        "bars": len(points),
    }
    ppy = periods_per_year(ts)
    stats["periods_per_year"] = round(ppy, 4)
    years = (int(ts[-1]) - int(ts[0])) / NS / SECONDS_PER_YEAR if len(ts) > 1 else 0.0
    ratio = float(final / starting_cash) if starting_cash else 0.0
    stats["cagr_pct"] = _cagr_pct(ratio, years)
    returns = np.diff(points) / points[:-1] if len(points) > 1 else np.empty(0)
    stats.update(_return_stats(returns, ppy))
    stats.update(_drawdown(ts, points))
    stats.update(_trade_stats(trades))
    stats["exposure_time_pct"] = _pct(bars_in_market / len(points)) if len(points) else None
    return stats


class _Moments:
    """The sample moments the return statistics share, each computed once rather than by every
    statistic that needs it (a pass over the whole curve each); powers by multiplication."""

    def __init__(self, returns: np.ndarray) -> None:
        self.n = len(returns)
        self.mean = float(np.mean(returns))
        centered = returns - self.mean
        squared = centered * centered
        total = float(np.sum(squared))
        self.second = total / self.n  # population variance
        self.std = math.sqrt(total / (self.n - 1)) if self.n > 1 else 0.0  # ddof=1, as np.std sums
        self.third = float(np.mean(squared * centered))
        self.fourth = float(np.mean(squared * squared))
        downside = np.minimum(returns, 0.0)
        self.downside = math.sqrt(float(np.mean(downside * downside)))


def _return_stats(returns: np.ndarray, ppy: float) -> dict[str, float | None]:
    if len(returns) < 2 or ppy <= 0:
        return {
            "annualized_volatility_pct": None,
            "sharpe": None,
            "sortino": None,
            "probabilistic_sharpe": None,
        }
    moments = _Moments(returns)
    std, mean, downside = moments.std, moments.mean, moments.downside
    root = math.sqrt(ppy)
    return {
        "annualized_volatility_pct": _pct(std * root),
        "sharpe": round(mean / std * root, 6) if std > 0 else None,
        "sortino": round(mean / downside * root, 6) if downside > 0 else None,
        "probabilistic_sharpe": _probabilistic_sharpe(moments),
    }


def probabilistic_sharpe(returns: np.ndarray, benchmark: float = 0.0) -> float | None:
    """The probability that the true per-period Sharpe ratio of ``returns`` exceeds ``benchmark``
    (see the module's definitions); None for fewer than three returns or no variation."""
    return _probabilistic_sharpe(_Moments(returns), benchmark) if len(returns) >= 3 else None


def _probabilistic_sharpe(moments: _Moments, benchmark: float = 0.0) -> float | None:
    n, std, second = moments.n, moments.std, moments.second
    if n < 3 or std <= 0 or second <= 0:
        return None
    sharpe = moments.mean / std
    skew = moments.third / second**1.5
    kurtosis = moments.fourth / second**2
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if spread <= 0:
        return None
    z = (sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(spread)
    return round(0.5 * (1.0 + math.erf(z / math.sqrt(2.0))), 6)


def _drawdown(ts: np.ndarray, curve: np.ndarray) -> dict[str, float | int | None]:
    if len(curve) == 0:
        return {"max_drawdown_pct": None, "max_drawdown_duration_s": None}
    peaks = np.maximum.accumulate(curve)
    drawdowns = (curve - peaks) / peaks
    return {
        "max_drawdown_pct": _pct(
            abs(float(drawdowns.min()))
        ),  # abs: no -0.0 for a curve never below its peak
        "max_drawdown_duration_s": _longest_drawdown_ns(ts, curve < peaks) // NS,
    }


def _longest_drawdown_ns(ts: np.ndarray, below: np.ndarray) -> int:
    """The longest time from a peak (the bar before the curve goes below it) to the first bar back
    at it, or to the last bar when it never recovers. The first bar is never below its peak."""
    edges = np.diff(below.astype(np.int8))
    peaks_at = np.flatnonzero(edges == 1)  # the bar before each fall below the peak
    recovered_at = np.flatnonzero(edges == -1) + 1
    if len(peaks_at) == 0:
        return 0
    ends = ts[recovered_at]
    if len(recovered_at) < len(peaks_at):  # still below at the end
        ends = np.append(ends, ts[-1])
    return int((ends - ts[peaks_at]).max())


def _trade_stats(trades: Sequence[RoundTrip]) -> dict[str, float | int | str | None]:
    pnls = [t.pnl for t in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_loss = -sum(losses, Decimal(0))
    return {
        "trades": len(pnls),
        "win_rate_pct": _pct(len(wins) / len(pnls)) if pnls else None,
        "profit_factor": round(float(sum(wins, Decimal(0)) / gross_loss), 6) if gross_loss else None,
        "expectancy": str(sum(pnls, Decimal(0)) / len(pnls)) if pnls else None,
    }


def _cagr_pct(ratio: float, years: float) -> float | None:
    # Undefined for no time or no equity left; None too when a short run's growth, compounded
    # to a year, is beyond what a float holds (it would mean nothing anyway).
    if years <= 0 or ratio <= 0:
        return None
    growth = math.log(ratio) / years
    return _pct(math.expm1(growth)) if growth < 700 else None


def _pct(fraction: float) -> float:
    return round(fraction * 100, 6)
