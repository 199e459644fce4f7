"""Market data the risk engine will not act on, and instruments it will not add exposure in.

- stale: received more than ``max_data_age_ns`` after it happened (default 500 ms);
- deviating: a close more than ``max_price_jump_pct`` away from the last accepted close,
  until the new level is confirmed by prints and time: ``price_confirm_prints`` closes in a
  row within the band of the first of them, spanning at least ``price_confirm_ns`` (so a real
  move is believed within a couple of one-minute bars, or ten seconds of ticks, not never);
- illiquid: traded value over the last ``liquidity_window_ns`` (default 24 h) below
  ``min_liquidity_usd`` (default $10k): reducing orders only. Counted in hourly buckets,
  each hour's volume valued at its last close.
This runs on every bar, so it is written for speed: no division, one call.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal, getcontext
from itertools import islice

from domain.errors import InvalidMarketData
from domain.events.market import AnyBar
from domain.market.columns import exact_sum, significant_digits
from domain.market.runs import BarRun
from domain.risk.limits import NS_PER_HOUR, RiskLimits

_ZERO = Decimal(0)


def _plus_volumes(total: Decimal, run: BarRun, start: int, stop: int) -> Decimal:
    """``total`` plus the volumes of the bars ``start:stop`` of ``run``, added in turn: in one exact
    sum where no addition in turn could round (no term negative, the result within the context's
    digits), else one by one."""
    columns = run.columns
    if columns is not None and columns.volume_coefficients:
        part = exact_sum(columns.volume_coefficients, columns.volume_exponents, start, stop)
        if part is not None and total >= 0:
            summed = total + part
            if significant_digits(summed) < getcontext().prec:
                return summed
        for index in range(start, stop):
            total += columns.volume(index)
        return total
    for index in range(start, stop):
        total += run.bar(index).volume
    return total


class MarketGuard:
    """The guards of one instrument."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.reference: Decimal | None = None
        self._low = self._high = _ZERO
        self._unconfirmed: list[tuple[Decimal, int]] = []
        """Closes past the band since the last accepted one, agreeing with the first, with their times."""
        self._hours: dict[int, Decimal] = {}
        self._hour = -1
        self._hour_from, self._hour_until = -NS_PER_HOUR, 0
        """The current hour's span, [from, until) in ns: a bar inside it starts no new hour."""
        self._hour_volumes: list[Decimal | tuple[BarRun, int, int]] = []
        """This hour's volumes, summed (in order, from zero) when the hour's value is needed: each
        bar's, or a stretch of a run's bars as (run, start, stop)."""
        self._hour_summed: tuple[int, Decimal] = (0, _ZERO)
        """How many of them are summed so far, and their sum (the rest are added to it in turn)."""
        self.first_ts: int | None = None
        self._band = limits.max_price_jump_pct / 100
        self._max_age_ns = limits.max_data_age_ns

    def use(self, limits: RiskLimits) -> None:
        """New limits from now on (the reference price and the traded volume stay)."""
        self.limits = limits
        self._band = limits.max_price_jump_pct / 100
        self._max_age_ns = limits.max_data_age_ns

    def admit(self, bar: AnyBar) -> InvalidMarketData | None:
        """None if the engine may act on ``bar``, else the refusal (with its reason code)."""
        ts = bar.ts_event
        age = bar.ts_recv - ts
        if age > self._max_age_ns:
            limits = self.limits
            return InvalidMarketData(
                "stale",
                f"data was {age / 1e6:.1f} ms old at receipt, limit {limits.max_data_age_ns / 1e6:.0f} ms",
            )
        close = bar.close
        if (
            self.reference is not None
            and not self._low <= close <= self._high
            and not self._confirms(close, ts)
        ):
            return InvalidMarketData(
                "price_deviation",
                f"close {close} is more than {self.limits.max_price_jump_pct}% from the last "
                f"accepted close {self.reference}",
            )
        if self._unconfirmed:
            self._unconfirmed = []
        self.reference = close
        band = close * self._band
        self._low = close - band
        self._high = close + band
        if not self._hour_from <= ts < self._hour_until:  # ts // NS_PER_HOUR != self._hour
            self._close_hour(ts // NS_PER_HOUR, ts)
        self._hour_volumes.append(bar.volume)
        return None

    @property
    def settled(self) -> bool:
        """True when the next bar within the band is simply admitted: a reference price and no
        jump waiting for confirmation."""
        return self.reference is not None and not self._unconfirmed

    @property
    def band(self) -> tuple[Decimal, Decimal]:
        """The closes admitted next without confirmation (inclusive)."""
        return self._low, self._high

    def absorb(self, run: BarRun, start: int, stop: int) -> None:
        """``admit`` of the bars ``start:stop`` of ``run``, which the caller has checked it would
        admit each in turn without confirmation (received in time, each within the band of the
        last, times increasing): the state is the very one, hour totals included."""
        columns = run.columns
        stamps, offset = (
            (columns.ts, 0) if columns is not None else ([run.ts(i) for i in range(start, stop)], start)
        )
        index = start
        while index < stop:
            stamp = stamps[index - offset]
            if not self._hour_from <= stamp < self._hour_until:
                self.reference = run.close(index)  # as ``admit``: the new hour's first close values the last
                self._close_hour(stamp // NS_PER_HOUR, stamp)
            end = bisect_left(stamps, self._hour_until, index - offset, stop - offset) + offset
            self._take_volumes(run, index, end)
            index = end
        last = run.close(stop - 1)
        self.reference = last
        band = last * self._band
        self._low = last - band
        self._high = last + band

    def _take_volumes(self, run: BarRun, start: int, stop: int) -> None:
        # Kept as the stretch itself and summed when the hour's total is asked for.
        volumes = self._hour_volumes
        last = volumes[-1] if volumes else None
        if type(last) is tuple and last[0] is run and last[2] == start:
            volumes[-1] = (run, last[1], stop)  # the stretch before, continued
        else:
            volumes.append((run, start, stop))

    def _hour_volume(self) -> Decimal:
        volumes = self._hour_volumes
        counted, total = self._hour_summed
        if counted != len(volumes):
            for item in islice(volumes, counted, None):
                if isinstance(item, Decimal):
                    total += item
                else:
                    total = _plus_volumes(total, *item)
            self._hour_summed = (len(volumes), total)
        return total

    def _close_hour(self, hour: int, ts_ns: int) -> None:
        hours = self._hours
        if self._hour >= 0 and self.reference is not None:
            hours[self._hour] = self._hour_volume() * self.reference
        self._hour, self._hour_volumes, self._hour_summed = hour, [], (0, _ZERO)
        self._hour_from, self._hour_until = hour * NS_PER_HOUR, (hour + 1) * NS_PER_HOUR
        if len(hours) > self.limits.liquidity_window_ns // NS_PER_HOUR + 1:
            del hours[min(hours)]
        if self.first_ts is None:
            self.first_ts = ts_ns

    def traded_value(self, ts_ns: int) -> Decimal:
        """Traded value over the window ending at ``ts_ns`` (whole hours)."""
        oldest = (ts_ns - self.limits.liquidity_window_ns) // NS_PER_HOUR
        current = self._hour_volume() * self.reference if self.reference is not None else _ZERO
        return sum((value for hour, value in self._hours.items() if hour > oldest), current)

    def liquid(self, ts_ns: int) -> bool:
        """Whether enough value traded over the window (a new instrument gets one window first)."""
        if self.first_ts is None or ts_ns - self.first_ts < self.limits.liquidity_window_ns:
            return True
        return self.traded_value(ts_ns) >= self.limits.min_liquidity_usd

    def _confirms(self, close: Decimal, ts_ns: int) -> bool:
        # A jump is believed once enough closes in a row agree with the first of them, over long enough.
        pending, limits = self._unconfirmed, self.limits
        if pending and abs(close - pending[0][0]) > pending[0][0] * limits.max_price_jump_pct / 100:
            pending.clear()
        pending.append((close, ts_ns))
        return (
            len(pending) >= limits.price_confirm_prints and ts_ns - pending[0][1] >= limits.price_confirm_ns
        )
