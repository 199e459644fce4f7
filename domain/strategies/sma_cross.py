"""The reference strategy: simple moving averages of the close crossing.

Buy ``size`` when the fast SMA crosses above the slow one (fast was below the
slow at the previous close and is above it at this close) and no position is
open; close the position when the fast crosses below the slow (the mirror
condition). Long only. The averages are exact and compared by multiplying
instead of dividing, so no rounding decides a cross (``sma_state``: the sums
as scaled integers, in C over a page's columns, or in Decimal for numbers too
large for that, with the same results).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from domain.events.market import AnyBar
from domain.market.runs import BarRun
from domain.strategies.base import InputSpec, InvalidStrategyParams, StrategyIntent, decimal_param, int_param
from domain.strategies.sma_state import BUY, CLOSE, NEEDS_PYTHON, NONE, DecimalSmas, IntSmas

_CROSSED_UP = "fast SMA crossed above slow SMA"
_CROSSED_DOWN = "fast SMA crossed below slow SMA"


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
        self._ints: IntSmas | None = IntSmas(self.fast, self.slow)
        self._decimals: DecimalSmas | None = None
        """Set (and ``_ints`` None) once a close is too large for integers (see ``sma_state``)."""

    def inputs(self, symbol: str) -> tuple[InputSpec, ...]:
        """The bars of its symbol."""
        return (InputSpec("bar", symbol),)

    def on_bar(self, bar: AnyBar, position: Decimal) -> StrategyIntent | None:
        """Update the averages with this close and signal on a cross."""
        found = self._take(bar.close, not position, position > 0)
        return self._intent(found, position) if found else None

    def scan(
        self, run: BarRun, start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``on_bar`` over the bars ``start:stop`` of ``run``, up to the first that signals: over
        the run's close columns where it has them (one loop in C where built), else close by close."""
        flat, long = not position, position > 0
        columns = run.columns
        if columns is None:
            close = run.close
            for index in range(start, stop):
                found = self._take(close(index), flat, long)
                if found:
                    return index + 1, self._intent(found, position)
            return stop, None
        coefficients, exponents = columns.coefficients, columns.exponents
        index = start
        while index < stop:
            ints = self._ints
            if ints is None:  # in Decimal for good: one close at a time
                found = self._take(columns.close(index), flat, long)
                index += 1
            else:
                index, found = ints.scan_columns(coefficients, exponents, index, stop, flat, long)
                if found == NEEDS_PYTHON:  # a close with more decimal places, or too large
                    found = self._take(columns.close(index), flat, long)
                    index += 1
            if found:
                return index, self._intent(found, position)
        return stop, None

    def _take(self, close: Decimal, flat: bool, long: bool) -> int:
        ints = self._ints
        if ints is not None:
            value = ints.value_of(close)
            if value is not None:
                return ints.step(value, flat, long)
            self._decimals, self._ints = ints.as_decimal(), None
        assert self._decimals is not None
        return self._decimals.step(close, flat, long)

    def _intent(self, found: int, position: Decimal) -> StrategyIntent | None:
        if found == BUY:
            return StrategyIntent("buy", self.size, _CROSSED_UP, self._values())
        if found == CLOSE:
            return StrategyIntent("close", position, _CROSSED_DOWN, self._values())
        assert found == NONE
        return None

    def _values(self) -> tuple[tuple[str, Decimal], ...]:
        state = self._ints if self._ints is not None else self._decimals
        assert state is not None
        fast_sum, slow_sum = state.sums()
        return (("fast_sma", fast_sum / self.fast), ("slow_sma", slow_sum / self.slow))
