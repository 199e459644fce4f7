"""Watching equity: the high-water mark, the day's opening equity, and the losses they imply.

Both losses are computed incrementally here; the property tests recompute them
from the whole event list and require equality.
"""

from __future__ import annotations

from decimal import Decimal

from domain.risk.breaker import Measures
from domain.risk.limits import NS_PER_DAY

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
NO_LOSS = Measures(_ZERO, _ZERO)
_MARGIN = Decimal("1.000000000000000001")


def day_of(ts_ns: int, offset_ns: int = 0) -> int:
    """The trading day a timestamp falls in (UTC days, shifted by ``offset_ns``)."""
    return (ts_ns - offset_ns) // NS_PER_DAY


def loss_pct(reference: Decimal, equity: Decimal) -> Decimal:
    """How far ``equity`` is below ``reference``, in percent (0 when at or above)."""
    if reference <= 0 or equity >= reference:
        return _ZERO
    return (reference - equity) / reference * _HUNDRED


class EquityWatch:
    """The reference points of one equity curve (the account's, or one strategy's).

    It also keeps a calm floor: the equity above which neither loss can reach the warning
    percentages given to ``watch_for``. A mark above it, on the same day and below the
    high-water mark, changes nothing a breaker could see: ``quiet_mark`` takes it in a few
    comparisons, without division (the floor has a hair of margin, so marks at the boundary
    take the exact path).
    """

    def __init__(self, equity: Decimal, offset_ns: int = 0) -> None:
        self.offset_ns = offset_ns
        self.high_water = equity
        self.day_open = equity
        self.last = equity
        self.day: int | None = None
        self._drawdown_factor = self._daily_factor = _ZERO
        self.floor = equity
        self.revision = 0
        """Counts the changes of the day, the high-water mark, the day's open or the factors (not of
        ``last``): a reader's cheap test that the floor's makings have not moved."""

    def watch_for(self, drawdown_pct: Decimal, daily_loss_pct: Decimal) -> None:
        """The warning percentages that define the calm floor."""
        self._drawdown_factor = (1 - drawdown_pct / _HUNDRED) * _MARGIN
        self._daily_factor = (1 - daily_loss_pct / _HUNDRED) * _MARGIN
        self._refloor()

    @property
    def factors(self) -> tuple[Decimal, Decimal]:
        """What the calm floor is made of: the high-water mark's factor and the day's open's
        (the floor is the larger of the two products)."""
        return self._drawdown_factor, self._daily_factor

    def quiet_mark(self, equity: Decimal, ts_ns: int) -> bool:
        """Take the mark if it is calm (see the class docstring) and say so; else take nothing."""
        if (
            equity > self.floor
            and equity <= self.high_water
            and self.day == (ts_ns - self.offset_ns) // NS_PER_DAY
        ):
            self.last = equity
            return True
        return False

    def quiet_at(self, equity: Decimal) -> bool:
        """Whether ``quiet_mark`` would take ``equity`` on the watch's current day."""
        return equity > self.floor and equity <= self.high_water

    def observe(self, equity: Decimal, ts_ns: int) -> bool:
        """Take a new mark; True when it starts a new day (the day opens at the last mark)."""
        day = day_of(ts_ns, self.offset_ns)
        new_day = self.day is not None and day != self.day
        moved = new_day or self.day is None
        if new_day:
            self.day_open = self.last
        self.day = day
        self.last = equity
        if equity > self.high_water:
            self.high_water = equity
            moved = True
        if moved:
            self._refloor()
        return new_day

    def probe(self, equity: Decimal, ts_ns: int) -> Measures:
        """The measures a mark of ``equity`` at ``ts_ns`` would give, without taking it (a mark at a
        refused price is judged, never remembered)."""
        high_water = max(self.high_water, equity)
        day_open = (
            self.day_open if self.day is None or day_of(ts_ns, self.offset_ns) == self.day else self.last
        )
        if equity >= high_water and equity >= day_open:
            return NO_LOSS
        return Measures(loss_pct(high_water, equity), loss_pct(day_open, equity))

    def measures(self) -> Measures:
        """Drawdown from the high-water mark and loss since the day's open, at the last mark."""
        last = self.last
        if last >= self.high_water and last >= self.day_open:
            return NO_LOSS
        return Measures(loss_pct(self.high_water, last), loss_pct(self.day_open, last))

    def rebase(self) -> None:
        """After a reset: the high-water mark restarts from the current equity."""
        self.high_water = self.last
        self._refloor()

    def _refloor(self) -> None:
        self.floor = max(self.high_water * self._drawdown_factor, self.day_open * self._daily_factor)
        self.revision += 1
