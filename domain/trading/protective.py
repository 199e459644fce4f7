"""Stop loss, take profit and trailing stop attached to a long position.

Levels come from the position's average entry price and, for the trailing
stop, the highest close since entry. They are checked against each closed
bar's range; a hit becomes a market exit at the next available price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.events.market import AnyBar
from domain.events.trading import Purpose

_HUNDRED = Decimal(100)


@dataclass
class ProtectiveExits:
    """The exit levels of one open long position (percentages of price)."""

    stop_loss_pct: Decimal | None
    take_profit_pct: Decimal | None
    trailing_stop_pct: Decimal | None
    entry_price: Decimal = Decimal(0)
    highest_close: Decimal = Decimal(0)
    armed: bool = field(init=False)
    """True when any exit is configured."""

    def __post_init__(self) -> None:
        self.armed = any(
            p is not None for p in (self.stop_loss_pct, self.take_profit_pct, self.trailing_stop_pct)
        )

    def open(self, entry_price: Decimal) -> None:
        """Arm the exits for a position entered at ``entry_price``."""
        self.entry_price = entry_price
        self.highest_close = entry_price

    def hit(self, bar: AnyBar) -> tuple[Purpose, str, Decimal] | None:
        """(purpose, explanation, level) of the first exit this bar reached, else None.

        Checked in the order stop loss, trailing stop, take profit: when a bar
        spans a stop and a target, assume the worse came first.
        """
        if self.stop_loss_pct is not None:
            stop = self.entry_price * (1 - self.stop_loss_pct / _HUNDRED)
            if bar.low <= stop:
                return "stop_loss", f"low {bar.low} reached stop loss {stop}", stop
        if self.trailing_stop_pct is not None:
            trail = self.highest_close * (1 - self.trailing_stop_pct / _HUNDRED)
            if bar.low <= trail:
                return "trailing_stop", f"low {bar.low} reached trailing stop {trail}", trail
        if self.take_profit_pct is not None:
            target = self.entry_price * (1 + self.take_profit_pct / _HUNDRED)
            if bar.high >= target:
                return "take_profit", f"high {bar.high} reached take profit {target}", target
        if bar.close > self.highest_close:
            self.highest_close = bar.close
        return None
