"""The equity chart: a whole session's equity curve and drawdown, in at most a few thousand buckets.

A session marks its account at every bar, a million times in a long one, and a chart is a few
thousand pixels across. The session's marks are cut into buckets of consecutive marks (equal
ranges of the view's ``seq``), and each bucket keeps the times of its first and last mark and
the lowest and highest equity and drawdown among its marks: a one-bar crash is its bucket's
minimum, so it is drawn rather than averaged away. The session's first and last marks come
whole and exact, so the chart's ends are the curve's own. A store answers by bucketing where
the rows are (in SQL), never by bringing every mark into the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

MAX_POINTS = 2_000
"""The most buckets a chart is asked for (and the default): more than a screen shows."""


@dataclass(frozen=True)
class Buckets:
    """Consecutive ``seq`` ranges: bucket ``i`` is ``[start + i * width, start + (i + 1) * width)``."""

    start: int
    width: int
    count: int

    @classmethod
    def covering(cls, first_seq: int, last_seq: int, points: int) -> Buckets:
        """At most ``points`` equal ranges from ``first_seq`` to ``last_seq`` inclusive (the last may
        be shorter); ValueError for fewer than one point or an empty range."""
        if points < 1 or last_seq < first_seq:
            raise ValueError(f"buckets need points >= 1 and a range, got {points}, {first_seq}..{last_seq}")
        span = last_seq - first_seq + 1
        width = -(-span // points)
        return cls(first_seq, width, -(-span // width))


@dataclass(frozen=True)
class EquityBucket:
    """Consecutive marks of one account: their times' ends, how many, and their extremes (exact
    decimal text, as the views hold them: no exponent)."""

    ts_first: int
    ts_last: int
    marks: int
    equity_min: str
    equity_max: str
    drawdown_min: str
    drawdown_max: str


@dataclass(frozen=True)
class EquityChart:
    """An account's session as a chart: its first and last marks whole (documents of the equity
    view's rows, as its list route sends them), and its buckets in order."""

    account: str | None
    session_id: str | None
    first: dict[str, Any] | None
    last: dict[str, Any] | None
    buckets: list[EquityBucket]
    positions: dict[str, int]
    """The projections' positions the chart was read at (one snapshot with the rows)."""

    @property
    def marks(self) -> int:
        """How many marks the buckets hold (the session's, when the chart is whole)."""
        return sum(bucket.marks for bucket in self.buckets)


class EquityChartReader(Protocol):
    """Reads an account's session chart from the views."""

    def equity_chart(self, account: str | None, points: int = MAX_POINTS) -> EquityChart:
        """The chart of ``account``'s current session (None: the account of the latest mark) in at
        most ``points`` buckets; an empty chart when there is no mark."""
        ...
