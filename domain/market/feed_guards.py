"""Guards for live market data: stale, deviating, insane volume, illiquid.

Pure rules with explicit state; the feeds call them on every message and
record a refusal as ``MarketDataRejected``. Reason codes: stale,
price_deviation, volume_outlier, negative_volume, illiquid.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from statistics import median
from typing import Final

from domain.errors import InvalidMarketData

DEFAULT_MAX_AGE_NS: Final = 500_000_000
DEFAULT_LIQUIDITY_FLOOR_USD: Final = Decimal(10_000)


def check_fresh(ts_event: int, ts_recv: int, max_age_ns: int = DEFAULT_MAX_AGE_NS) -> None:
    """Refuse data older than ``max_age_ns`` when it reached us (default 500 ms)."""
    age = ts_recv - ts_event
    if age > max_age_ns:
        raise InvalidMarketData(
            "stale", f"data was {age / 1e6:.1f} ms old at receipt, limit {max_age_ns / 1e6:.0f} ms"
        )


class PriceDeviationGuard:
    """Refuses a price further than ``band`` (a fraction) from the median of recent prices.

    A real level shift must not blind the feed for ever: after ``confirmations``
    consecutive refusals that agree with each other within the band, the guard
    re-anchors on them and accepts the last one.
    """

    def __init__(self, band: Decimal = Decimal("0.10"), window: int = 20, confirmations: int = 5):
        if band <= 0 or window < 1 or confirmations < 2:
            raise ValueError("band must be positive, window >= 1, confirmations >= 2")
        self.band = band
        self.confirmations = confirmations
        self._recent: deque[Decimal] = deque(maxlen=window)
        self._refused: list[Decimal] = []

    def reference(self) -> Decimal | None:
        """The median of recently accepted prices, or None before the first one."""
        recent = self._recent
        if not recent:
            return None
        return recent[-1] if recent.maxlen == 1 else median(recent)

    def check(self, price: Decimal) -> None:
        """Accept (and remember) ``price`` or raise InvalidMarketData('price_deviation')."""
        reference = self.reference()
        if reference is None or abs(price / reference - 1) <= self.band:
            self._accept(price)
            return
        if self._refused and abs(price / self._refused[0] - 1) > self.band:
            self._refused = []
        self._refused.append(price)
        if len(self._refused) >= self.confirmations:
            self._recent.clear()
            for confirmed in self._refused:
                self._accept(confirmed)
            return
        deviation = (price / reference - 1) * 100
        raise InvalidMarketData(
            "price_deviation",
            f"price {price} deviates {deviation:.2f}% from reference {reference}, band {self.band * 100}%",
        )

    def _accept(self, price: Decimal) -> None:
        self._recent.append(price)
        if self._refused:
            self._refused = []


class VolumeSanityGuard:
    """Refuses negative volume and volume above ``max_multiple`` x the recent median."""

    def __init__(self, max_multiple: Decimal = Decimal(50), window: int = 100) -> None:
        if max_multiple <= 1 or window < 1:
            raise ValueError("max_multiple must exceed 1 and window must be >= 1")
        self.max_multiple = max_multiple
        self._recent: deque[Decimal] = deque(maxlen=window)

    def check(self, volume: Decimal) -> None:
        """Accept (and remember) ``volume`` or raise InvalidMarketData."""
        if volume < 0:
            raise InvalidMarketData("negative_volume", f"volume must not be negative, got {volume}")
        typical = median(self._recent) if self._recent else Decimal(0)
        if typical > 0 and volume > typical * self.max_multiple:
            raise InvalidMarketData(
                "volume_outlier",
                f"volume {volume} is {volume / typical:.1f}x the recent median {typical}, "
                f"limit {self.max_multiple}x",
            )
        self._recent.append(volume)


def check_liquidity(
    quoted_depth_usd: Decimal | None,
    volume_24h_usd: Decimal | None,
    floor_usd: Decimal = DEFAULT_LIQUIDITY_FLOOR_USD,
) -> None:
    """An instrument trades only if its quoted depth or its 24h volume reaches the floor."""
    measures = [m for m in (quoted_depth_usd, volume_24h_usd) if m is not None]
    if not measures:
        raise InvalidMarketData("illiquid", "no quoted depth or 24h volume known for the instrument")
    if max(measures) < floor_usd:
        raise InvalidMarketData(
            "illiquid",
            f"quoted depth {quoted_depth_usd} and 24h volume {volume_24h_usd} USD "
            f"are below the floor {floor_usd} USD",
        )
