"""Buy ``size`` at the first bar and hold: the baseline, and the exposed position stress tests need.

Buys once: after a stop, a flatten or the end of the session it does not buy again.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from domain.events.market import AnyBar
from domain.market.runs import BarRun
from domain.strategies.base import InputSpec, StrategyIntent, decimal_param, scan_each


class BuyAndHold:
    """One buy, then nothing."""

    name: ClassVar[str] = "buy_and_hold"
    version: ClassVar[int] = 1

    def __init__(self, params: Mapping[str, str]) -> None:
        self.size = decimal_param(params, "size")
        self.lookback = 1
        self._bought = False

    def inputs(self, symbol: str) -> tuple[InputSpec, ...]:
        """The bars of its symbol."""
        return (InputSpec("bar", symbol),)

    def scan(
        self, run: BarRun, start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``on_bar`` for each bar (it acts once)."""
        return scan_each(self, run, start, stop, position)

    def on_bar(self, bar: AnyBar, position: Decimal) -> StrategyIntent | None:
        """Buy on the first bar seen flat; never again."""
        if self._bought:
            return None
        self._bought = True
        return StrategyIntent("buy", self.size, "buy and hold: first bar", (("close", bar.close),))
