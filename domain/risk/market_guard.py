"""Market data the risk engine will not act on, and instruments it will not add exposure in.

- stale: received more than ``max_data_age_ns`` after it happened (default 500 ms);
- deviating: a close more than ``max_price_jump_pct`` away from the last accepted close,
  until a few agreeing prices confirm the new level (so a real move is not ignored for ever);
- illiquid: traded value over the last ``liquidity_window_ns`` (default 24 h) below
  ``min_liquidity_usd`` (default $10k): reducing orders only.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from domain.errors import InvalidMarketData
from domain.events.market import Bar
from domain.market.feed_guards import PriceDeviationGuard, check_fresh
from domain.risk.limits import RiskLimits

_ZERO = Decimal(0)


class MarketGuard:
    """The guards of one instrument."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.deviation = PriceDeviationGuard(band=limits.max_price_jump_pct / 100, window=1, confirmations=3)
        self._traded: deque[tuple[int, Decimal]] = deque()
        self.traded_value = _ZERO
        self.first_ts: int | None = None

    def admit(self, bar: Bar) -> InvalidMarketData | None:
        """None if the engine may act on ``bar``, else the refusal (with its reason code)."""
        try:
            check_fresh(bar.ts_event, bar.ts_recv, self.limits.max_data_age_ns)
            self.deviation.check(bar.close)
        except InvalidMarketData as refusal:
            return refusal
        self._count(bar)
        return None

    def liquid(self, ts_ns: int) -> bool:
        """Whether the instrument has traded enough value over the window (a new instrument is given
        one full window before it is judged)."""
        if self.first_ts is None or ts_ns - self.first_ts < self.limits.liquidity_window_ns:
            return True
        return self.traded_value >= self.limits.min_liquidity_usd

    def _count(self, bar: Bar) -> None:
        if self.first_ts is None:
            self.first_ts = bar.ts_event
        value = bar.volume * bar.close
        traded = self._traded
        traded.append((bar.ts_event, value))
        self.traded_value += value
        horizon = bar.ts_event - self.limits.liquidity_window_ns
        while traded[0][0] <= horizon:
            self.traded_value -= traded.popleft()[1]
