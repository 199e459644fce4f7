"""The reference strategy: simple moving averages of the close crossing.

Buy ``size`` when the fast SMA crosses above the slow one (fast was below the
slow at the previous close and is above it at this close) and no position is
open; close the position when the fast crosses below the slow (the mirror
condition). Long only. Averages are exact (Decimal running sums); the
comparison multiplies instead of dividing, so no rounding decides a cross.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar

from domain.events.market import AnyBar
from domain.strategies.base import InvalidStrategyParams, StrategyIntent, decimal_param, int_param

_ZERO = Decimal(0)


class SmaCross:
    """Fast/slow SMA crossover, long only, fixed size."""

    name: ClassVar[str] = "sma_cross"
    version: ClassVar[int] = 1

    def __init__(self, params: Mapping[str, str]) -> None:
        self.fast = int_param(params, "fast")
        self.slow = int_param(params, "slow")
        self.size = decimal_param(params, "size")
        self.lookback = self.slow + 1  # this close and the previous one's slow window
        if self.fast >= self.slow:
            raise InvalidStrategyParams(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        self._closes: deque[Decimal] = deque(maxlen=self.slow)
        self._fast_d, self._slow_d = Decimal(self.fast), Decimal(self.slow)
        self._fast_sum = _ZERO
        self._slow_sum = _ZERO
        self._previous_sign = 0  # sign of (fast - slow) at the previous close, 0 = unknown/equal

    def on_bar(self, bar: AnyBar, position: Decimal) -> StrategyIntent | None:
        """Update the averages with this close and signal on a cross."""
        return self.scan(((bar, None),), 0, 1, position)[1]

    def scan(
        self, bars: Sequence[tuple[AnyBar, object]], start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``on_bar`` over ``bars[start:stop]`` in one loop (the state in locals meanwhile)."""
        closes, fast, slow = self._closes, self.fast, self.slow
        fast_d, slow_d = self._fast_d, self._slow_d
        fast_sum, slow_sum, previous = self._fast_sum, self._slow_sum, self._previous_sign
        append = closes.append
        index, intent = start, None
        while index < stop:
            close = bars[index][0].close
            index += 1
            count = len(closes)
            if count == slow:
                slow_sum -= closes[0]
            if count >= fast:
                fast_sum -= closes[-fast]
            append(close)
            fast_sum += close
            slow_sum += close
            if count + 1 < slow:
                continue
            # fast/slow compared as fast_sum * slow vs slow_sum * fast: exact, no division.
            left, right = fast_sum * slow_d, slow_sum * fast_d
            sign = 1 if left > right else (-1 if left < right else 0)
            if sign == previous:
                continue
            previous, was = sign, previous
            if was == -1 and sign == 1 and not position:
                intent = StrategyIntent("buy", self.size, "fast SMA crossed above slow SMA", ())
                break
            if was == 1 and sign == -1 and position > 0:
                intent = StrategyIntent("close", position, "fast SMA crossed below slow SMA", ())
                break
        self._fast_sum, self._slow_sum, self._previous_sign = fast_sum, slow_sum, previous
        if intent is None:
            return index, None
        return index, StrategyIntent(intent.action, intent.quantity, intent.reason, self._values())

    def _values(self) -> tuple[tuple[str, Decimal], ...]:
        return (("fast_sma", self._fast_sum / self.fast), ("slow_sma", self._slow_sum / self.slow))
