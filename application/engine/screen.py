"""Screening a run of bars for the full risk engine: how far its bars need no look one at a time.

A bar needs a look when the market guard could refuse it (received late, or a close near or past
the band around the close before it) or when its mark could move a breaker (outside the calm
band of marks, or past the calm day). The screen answers with float arithmetic and a margin
far wider than a float's error, so every bar it passes would pass the exact Decimal checks; a
bar near a boundary is simply left to the exact path. Per run, its arrays are made once: the
closes as floats and, for each bar, the next one the guard must look at.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from domain.market.runs import BarRun

MARGIN = 1e-9
"""Relative distance from any boundary within which a bar is left to the exact checks."""
CHUNK = 256
"""Bars screened at a time for their marks (a scan often stops early)."""


class LongMarks(NamedTuple):
    """The one position's marks and its two watches, in floats, for a screen of many closes:
    equity is ``cash + quantity * close``, the strategy's value ``flat_value + (quantity * close -
    cost_basis)``; each watch's floor is the larger of its high-water mark and its day's open times
    their factors, and a mark above it moves no breaker."""

    cash: float
    quantity: float
    flat_value: float
    cost_basis: float
    account: tuple[float, float, float, float]
    """High-water mark, its factor, the day's open, its factor."""
    strategy: tuple[float, float, float, float]

    @property
    def new_high_close(self) -> float:
        """The close above which a long position's mark raises a high-water mark."""
        account = (self.account[0] - self.cash) / self.quantity
        strategy = (self.strategy[0] - self.flat_value + self.cost_basis) / self.quantity
        return min(account, strategy)


class RunScreen:
    """The arrays of one run (see the module docstring)."""

    def __init__(self, run: BarRun, band: Decimal, max_age_ns: int) -> None:
        self.run = run
        self.band = band
        self.max_age_ns = max_age_ns
        size, columns = len(run), run.columns
        if columns is not None and columns.ts_recv:
            coefficients = np.asarray(columns.coefficients, dtype=np.float64)
            exponents = np.asarray(columns.exponents, dtype=np.float64)
            self.closes = coefficients * np.power(10.0, exponents)
            self.ts = np.asarray(columns.ts, dtype=np.int64)
            self.stamps: Sequence[int] = columns.ts
            ts_recv = np.asarray(columns.ts_recv, dtype=np.int64)
        else:
            bars = [run.bar(index) for index in range(size)]
            self.closes = np.array([float(bar.close) for bar in bars], dtype=np.float64)
            self.stamps = [bar.ts_event for bar in bars]
            self.ts = np.array(self.stamps, dtype=np.int64)
            ts_recv = np.array([bar.ts_recv for bar in bars], dtype=np.int64)
        self.usable = bool(size) and bool(np.all(self.closes > 0)) and bool(np.all(np.diff(self.ts) > 0))
        """Positive prices and increasing times: what the screen's arithmetic assumes."""
        closes, fraction = self.closes, float(band)
        within = np.ones(size, dtype=bool)  # bar i's close within the band around bar i - 1's
        within[1:] = (closes[1:] >= closes[:-1] * (1 - fraction) * (1 + MARGIN)) & (
            closes[1:] <= closes[:-1] * (1 + fraction) * (1 - MARGIN)
        )
        self._looks = _next_true((ts_recv - self.ts > max_age_ns) | ~within)
        """For each bar, the first bar from it on that the guard must look at (``size``: none)."""
        self._stale = _next_true(ts_recv - self.ts > max_age_ns)

    def guard_passes(self, start: int, stop: int, low: Decimal, high: Decimal) -> int:
        """The end of the bars from ``start`` the guard would admit without a look: the first
        within ``low..high`` (the band around the guard's last close), the rest each within the
        band around the one before, none late."""
        close = self.closes[start]
        if not (float(low) * (1 + MARGIN) <= close <= float(high) * (1 - MARGIN)) or float(low) <= 0:
            return start
        first = int(self._stale[start])
        following = int(self._looks[start + 1]) if start + 1 < len(self.closes) else len(self.closes)
        return min(stop, first, following)

    def passes_after(self, start: int, stop: int) -> int:
        """``guard_passes`` where the guard's last accepted close is that of the bar before
        ``start``: each bar within the band around the one before, none late."""
        return min(stop, int(self._looks[start]))

    def before(self, start: int, stop: int, until_ns: int) -> int:
        """The end of the bars from ``start`` stamped before ``until_ns``."""
        return bisect_left(self.stamps, until_ns, start, stop)

    def quiet_marks(self, start: int, stop: int, held: LongMarks) -> int:
        """The end of the bars from ``start`` whose marks are quiet or new highs: equity and the
        strategy's value each above its watch's floor, the floor rising with the highest close so
        far (a new high raises the high-water mark; a flat position's marks never move)."""
        if held.quantity == 0:
            return stop if _quiet_between(held, 0.0, 0.0) else start
        if stop <= start:
            return start
        closes = self.closes[start:stop]
        if _quiet_between(held, float(closes.min()), float(closes.max())):
            return stop  # the lowest close clears even the floor the highest close would raise
        cash, quantity, flat_value, cost = held.cash, held.quantity, held.flat_value, held.cost_basis
        account_high, account_factor, account_open, account_daily = held.account
        strategy_high, strategy_factor, strategy_open, strategy_daily = held.strategy
        highest, index = -np.inf, start
        while index < stop:
            closes = self.closes[index : min(stop, index + CHUNK)]
            top = np.maximum(np.maximum.accumulate(closes), highest)
            equity = cash + quantity * closes
            floor = np.maximum(
                np.maximum(account_high, cash + quantity * top) * account_factor, account_open * account_daily
            )
            value = flat_value + (quantity * closes - cost)
            value_floor = np.maximum(
                np.maximum(strategy_high, flat_value + (quantity * top - cost)) * strategy_factor,
                strategy_open * strategy_daily,
            )
            loud = (equity - floor <= MARGIN * (np.abs(equity) + np.abs(floor))) | (
                value - value_floor <= MARGIN * (np.abs(value) + np.abs(value_floor))
            )
            if loud.any():
                return index + int(np.argmax(loud))
            highest, index = float(top[-1]), index + len(closes)
        return stop

    def highest(self, start: int, stop: int, close: Callable[[int], Decimal], below: float) -> int | None:
        """The first of the bars ``start:stop`` with the highest close (exact: ``close`` decides
        among the closes a float cannot tell apart); None when every close is clearly below
        ``below``."""
        closes = self.closes[start:stop]
        first = int(closes.argmax())
        if closes[first] < below * (1 - MARGIN):
            return None
        near = np.flatnonzero(closes >= closes[first] * (1 - MARGIN))
        if len(near) == 1:
            return start + first
        return max((start + int(index) for index in near), key=close)


def _quiet(value: float, floor: float) -> bool:
    return value - floor > MARGIN * (abs(value) + abs(floor))


def _quiet_between(held: LongMarks, low: float, high: float) -> bool:
    """Whether every close within ``low..high`` marks quietly whatever their order: equity at
    the lowest close above the floor a new high at the highest close would raise."""
    cash, quantity, flat_value, cost = held.cash, held.quantity, held.flat_value, held.cost_basis
    account_high, account_factor, account_open, account_daily = held.account
    strategy_high, strategy_factor, strategy_open, strategy_daily = held.strategy
    floor = max(max(account_high, cash + quantity * high) * account_factor, account_open * account_daily)
    value_floor = max(
        max(strategy_high, flat_value + (quantity * high - cost)) * strategy_factor,
        strategy_open * strategy_daily,
    )
    return _quiet(cash + quantity * low, floor) and _quiet(flat_value + (quantity * low - cost), value_floor)


def _next_true(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each index, the first index from it on where ``flags`` is true (its size if none)."""
    size = len(flags)
    positions = np.where(flags, np.arange(size, dtype=np.int64), size)
    return np.minimum.accumulate(positions[::-1])[::-1]
