"""Following view tables incrementally, so a scrape reads only what changed since the last one.

A ``TableCursor`` first pages through a table's current rows in ``seq`` order,
then (once a page comes back short) through every new version after the last
``seq`` it saw. Since a new version always gets a higher ``seq`` than every
version before it, nothing is missed between pages or between scrapes, and a
key's versions arrive in order. Each scrape reads at most a budget of rows; the
rest waits for the next scrape (a histogram then catches up like any counter).

``OrderTally`` keeps each order's status (memory: one small entry per order) and
counts by status and denial reason; ``FillTally`` keeps fixed-bucket histograms
of fill latency and slippage per venue.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from application.read_models.ports import RowQuery, StoredVersion
from projections.base import Table
from projections.orders import FillRow, OrderRow

PAGE = 10_000
# fmt: off
LATENCY_BUCKETS = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)
SLIPPAGE_BUCKETS = (
    -100.0, -50.0, -20.0, -10.0, -5.0, -2.0, -1.0, -0.5, -0.1, 0.0,
    0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0,
)
# fmt: on


class ViewReader(Protocol):
    """What the metrics read from the projections' views (``SqlReadModels`` is one)."""

    def positions(self) -> dict[str, int]:
        """Each projection's committed position (notification id)."""
        ...

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """Versions matching ``query``, in ``seq`` order (or newest first)."""
        ...


class TableCursor:
    """Reads one table's current rows, then every new version, a budget at a time."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.after = 0
        self.caught_up = False

    def take(self, views: ViewReader, budget: int) -> list[StoredVersion]:
        """The next versions, at most ``budget``, in ``seq`` order."""
        taken: list[StoredVersion] = []
        while len(taken) < budget:
            limit = min(PAGE, budget - len(taken))
            page = views.rows(
                RowQuery(self.table, all_versions=self.caught_up, after=self.after, limit=limit)
            )
            taken += page
            if page:
                self.after = page[-1].seq
            if len(page) < limit:
                self.caught_up = True
                break
        return taken


def denial_code(reason: str) -> str:
    """The machine-readable code of a denied order's ``reason`` ("code: message with numbers")."""
    return reason.split(":", 1)[0].strip() or "unspecified"


class OrderTally:
    """Orders by (account, status) and denied orders by (account, reason code)."""

    def __init__(self) -> None:
        self._orders: dict[str, tuple[str, str, str]] = {}
        self.by_status: Counter[tuple[str, str]] = Counter()
        self.denials: Counter[tuple[str, str]] = Counter()

    def take(self, versions: list[StoredVersion]) -> None:
        """Account new versions of ``rm_orders`` rows, in ``seq`` order."""
        for version in versions:
            row = version.row
            assert isinstance(row, OrderRow)
            code = denial_code(row.reason) if row.status == "denied" else ""
            now = (row.account, row.status, code)
            before = self._orders.get(row.order_id)
            if before == now:
                continue
            if before is not None:
                self._count(before, -1)
            self._orders[row.order_id] = now
            self._count(now, 1)

    def _count(self, entry: tuple[str, str, str], step: int) -> None:
        account, status, code = entry
        self.by_status[(account, status)] += step
        if status == "denied":
            self.denials[(account, code)] += step


@dataclass
class Buckets:
    """One fixed-bucket histogram: counts per bucket (the last is +Inf), the sum."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose bound is >= it."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, count of values <= it) per bucket, +Inf last."""
        running = 0
        out = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            out.append((bound, running))
        return out


class FillTally:
    """Fill latency (seconds) and slippage (basis points) histograms per venue."""

    def __init__(self) -> None:
        self.latency: dict[str, Buckets] = {}
        self.slippage: dict[str, Buckets] = {}

    def take(self, versions: list[StoredVersion]) -> None:
        """Account new ``rm_fills`` rows (a history table: each row once)."""
        for version in versions:
            row = version.row
            assert isinstance(row, FillRow)
            slippage = self.slippage.setdefault(row.venue, Buckets(SLIPPAGE_BUCKETS))
            slippage.observe(float(row.slippage_bps))
            latency = self.latency.setdefault(row.venue, Buckets(LATENCY_BUCKETS))
            if row.latency_ns is not None:
                latency.observe(row.latency_ns / 1e9)
