"""The read side at scrape time: a prometheus_client collector over the projections' views.

Each scrape reads, through ``ViewReader``:
- the log's head (``log_head``) and every projection's tracking position: the lag;
- orders by status and denials by reason, and the fill histograms, incrementally
  (only versions newer than the last scrape's, at most ``max_rows_per_scrape`` per
  table: a first scrape of a large view catches up over several scrapes);
- the breakers and the venues' execution quality (current rows: one per breaker
  or venue), each account's latest equity mark and its latest day's P&L.
A projection whose position went back (a rebuild) has its tallies started over.

If reading fails (database down), the scrape still answers with the process's
own instruments, ``memesnipe_read_side_up`` 0 and the error in the log, so the
failure is visible to Prometheus rather than an unanswered scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from application.read_models.ports import RowQuery
from infrastructure.metrics.families import DailyProfit, Snapshot, families
from infrastructure.metrics.view_tallies import FillTally, OrderTally, TableCursor, ViewReader
from projections import ALL
from projections.breakers import BREAKERS, BreakerRow
from projections.execution import EXECUTION, VenueQualityRow
from projections.orders import FILLS, ORDERS, OrdersProjection
from projections.portfolio import CASH, DAILY_PNL, EQUITY, CashRow, DailyPnlRow, EquityRow

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
MANY = 10_000
R = TypeVar("R")


class ReadSideCollector:
    """Exports the views' numbers at each scrape; safe to scrape from several threads."""

    def __init__(self, views: ViewReader, log_head: Callable[[], int], *, max_rows_per_scrape: int) -> None:
        self._views = views
        self._log_head = log_head
        self._budget = max_rows_per_scrape
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._start_orders_over()

    def _start_orders_over(self) -> None:
        self._order_cursor = TableCursor(ORDERS)
        self._fill_cursor = TableCursor(FILLS)
        self.orders = OrderTally()
        self.fills = FillTally()

    def describe(self) -> Iterable[Metric]:
        """The families this collector exports (no database access)."""
        return [*families(Snapshot()), *_health(None)]

    def collect(self) -> Iterable[Metric]:
        """Read the views and yield every family."""
        with self._lock:
            started = time.perf_counter()
            try:
                snapshot = self._read()
            except Exception:  # the scrape must still answer; the failure is exported and logged
                logger.exception("reading the views for metrics failed")
                snapshot = None
            built = families(snapshot or Snapshot())
            return [*built, *_health((snapshot is not None, time.perf_counter() - started))]

    def _read(self) -> Snapshot:
        views = self._views
        head = self._log_head()
        stored = views.positions()
        positions = {p.name: stored.get(p.name, 0) for p in ALL}
        if positions[OrdersProjection.name] < self._seen.get(OrdersProjection.name, 0):
            self._start_orders_over()
        self._seen = positions
        self.orders.take(self._order_cursor.take(views, self._budget))
        self.fills.take(self._fill_cursor.take(views, self._budget))
        accounts = sorted({_as(v.row, CashRow).account for v in views.rows(RowQuery(CASH, limit=MANY))})
        return Snapshot(
            head=head,
            positions=positions,
            orders=dict(self.orders.by_status),
            denials=dict(self.orders.denials),
            breakers=[_as(v.row, BreakerRow) for v in views.rows(RowQuery(BREAKERS, limit=MANY))],
            equity=self._latest_equity(accounts),
            daily=self._latest_days(accounts),
            latency=self.fills.latency,
            slippage=self.fills.slippage,
            venues=[_as(v.row, VenueQualityRow) for v in views.rows(RowQuery(EXECUTION, limit=MANY))],
        )

    def _latest_equity(self, accounts: list[str]) -> dict[str, EquityRow]:
        latest = {}
        for account in accounts:
            found = self._views.rows(RowQuery(EQUITY, where={"account": account}, newest_first=True, limit=1))
            if found:
                latest[account] = _as(found[0].row, EquityRow)
        return latest

    def _latest_days(self, accounts: list[str]) -> dict[str, DailyProfit]:
        daily = {}
        for account in accounts:
            newest = self._views.rows(
                RowQuery(DAILY_PNL, where={"account": account}, newest_first=True, limit=1)
            )
            if not newest:
                continue
            day = _as(newest[0].row, DailyPnlRow).day
            rows = [
                _as(v.row, DailyPnlRow)
                for v in self._views.rows(
                    RowQuery(DAILY_PNL, where={"account": account, "day": day}, limit=MANY)
                )
            ]
            daily[account] = DailyProfit(
                day=day,
                realized=sum((r.realized_pnl for r in rows), ZERO),
                unrealized=sum((r.unrealized_pnl for r in rows), ZERO),
                fees=sum((r.fees for r in rows), ZERO),
            )
        return daily


def _as(row: object, kind: type[R]) -> R:
    assert isinstance(row, kind), f"expected {kind.__name__}, got {type(row).__name__}"
    return row


def _health(scrape: tuple[bool, float] | None) -> list[Metric]:
    up = GaugeMetricFamily("memesnipe_read_side_up", "1 when this scrape could read the views, else 0.")
    took = GaugeMetricFamily(
        "memesnipe_read_side_scrape_seconds", "Time this scrape spent reading the views."
    )
    if scrape is not None:
        read, seconds = scrape
        up.add_metric([], 1 if read else 0)
        took.add_metric([], seconds)
    return [up, took]
