"""The metrics over real views (SQLite and PostgreSQL) filled by a real backtest and the projection runner.

What a scrape exports must equal what the views hold, also when the scrapes
follow the runner while it catches up and read only a few rows each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TypeVar

import pytest

from application.read_models.ports import RowQuery
from application.read_models.runner import ProjectionRunner
from infrastructure.bootstrap import LedgerStore
from infrastructure.metrics import InstrumentedEventLog, InstrumentedViews, Metrics
from infrastructure.metrics.families import SEVERITY
from infrastructure.metrics.view_tallies import denial_code
from infrastructure.read_models.sql_store import SqlReadModels
from projections import ALL, TABLES
from projections.base import Row, Table
from projections.breakers import BREAKERS, BreakerRow
from projections.orders import FILLS, ORDERS, FillRow, OrderRow
from projections.portfolio import DAILY_PNL, EQUITY, DailyPnlRow, EquityRow
from tests.integration.test_projections import backtest

R = TypeVar("R", bound=Row)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(metrics: Metrics) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in metrics.registry.collect()
        for s in family.samples
    }


def pick(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """One metric's samples by labels; a status no order holds any more (0) is left out."""
    return {
        labels: value
        for (found, labels), value in samples.items()
        if found == name and not (name == "memesnipe_orders" and value == 0)
    }


def current(views: SqlReadModels, table: Table, kind: type[R]) -> list[R]:
    rows = [v.row for v in views.rows(RowQuery(table, limit=100_000))]
    assert all(isinstance(row, kind) for row in rows)
    return rows  # type: ignore[return-value]


def expected_from_views(views: SqlReadModels) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """What the metrics should say, computed straight from the views' rows."""
    orders = current(views, ORDERS, OrderRow)
    by_status = Counter((o.account, o.status) for o in orders)
    denials = Counter((o.account, denial_code(o.reason)) for o in orders if o.status == "denied")
    fills = current(views, FILLS, FillRow)
    last = current(views, EQUITY, EquityRow)[-1]
    daily = current(views, DAILY_PNL, DailyPnlRow)
    today = [d for d in daily if d.day == daily[-1].day]
    account, day = (("account", last.account),), (("account", last.account), ("day", daily[-1].day))
    return {
        "memesnipe_orders": {(("account", a), ("status", s)): n for (a, s), n in by_status.items()},
        "memesnipe_orders_denied_total": {
            (("account", a), ("reason", r)): n for (a, r), n in denials.items()
        },
        "memesnipe_breaker_state": {
            (("account", b.account), ("scope", b.scope), ("state", b.state)): SEVERITY[b.state]
            for b in current(views, BREAKERS, BreakerRow)
        },
        "memesnipe_equity": {account: float(last.equity)},
        "memesnipe_drawdown_percent": {account: float(last.drawdown_pct)},
        "memesnipe_daily_realized_profit_and_loss": {day: float(sum(d.realized_pnl for d in today))},
        "memesnipe_daily_unrealized_profit_and_loss": {day: float(sum(d.unrealized_pnl for d in today))},
        "memesnipe_daily_fees": {day: float(sum(d.fees for d in today))},
        "memesnipe_fill_latency_seconds_count": {
            (("venue", v),): n for v, n in Counter(f.venue for f in fills if f.latency_ns is not None).items()
        },
        "memesnipe_fill_slippage_basis_points_count": {
            (("venue", v),): n for v, n in Counter(f.venue for f in fills).items()
        },
    }


def test_a_scrape_exports_what_the_views_hold(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    metrics = Metrics()
    report = backtest(replace(store, log=InstrumentedEventLog(store.log, metrics)))
    metrics.watch_read_side(views, store.log.last_notification_id)
    ProjectionRunner(store.log, InstrumentedViews(views, metrics)).run_once()
    samples = scrape(metrics)
    expected = expected_from_views(views)
    for name, values in expected.items():
        assert pick(samples, name) == values, name
    denied = pick(samples, "memesnipe_orders_denied_total")
    assert {dict(labels)["reason"]: n for labels, n in denied.items()} == report.denials
    assert report.denials and expected["memesnipe_fill_latency_seconds_count"]
    assert len(report.breakers) >= 1
    latencies = [f.latency_ns or 0 for f in current(views, FILLS, FillRow)]
    latency_sum = pick(samples, "memesnipe_fill_latency_seconds_sum")
    assert sum(latency_sum.values()) == pytest.approx(sum(latencies) / 1e9)
    assert set(pick(samples, "memesnipe_projection_lag_events").values()) == {0}


def test_appends_counted_by_the_instrumented_log_equal_the_log(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    metrics = Metrics()
    report = backtest(replace(store, log=InstrumentedEventLog(store.log, metrics)))
    ProjectionRunner(store.log, InstrumentedViews(views, metrics)).run_once()
    samples = scrape(metrics)
    appended = {
        dict(labels)["topic"]: n for labels, n in pick(samples, "memesnipe_events_appended_total").items()
    }
    assert appended == store.log.count_by_topic()
    rejected = pick(samples, "memesnipe_events_rejected_total")
    denied = {
        dict(labels)["reason"]: n
        for labels, n in rejected.items()
        if dict(labels)["topic"] == "risk.Order.Denied"
    }
    assert denied == report.denials
    written = sum(pick(samples, "memesnipe_projection_versions_written_total").values())
    assert written == sum(len(views.table_dump(table)) for table in TABLES.values())
    assert sum(pick(samples, "memesnipe_append_seconds_count").values()) >= 1


def test_scrapes_following_the_runner_a_few_rows_at_a_time_end_equal_to_the_views(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    backtest(store)
    head = store.log.last_notification_id()
    metrics = Metrics()
    metrics.watch_read_side(views, store.log.last_notification_id, max_rows_per_scrape=7)
    runner = ProjectionRunner(store.log, views, page_size=41)
    for stop in range(head // 6, head + 1, head // 6):
        runner.run_once(stop_at=stop)
        lag = pick(scrape(metrics), "memesnipe_projection_lag_events")
        assert set(lag.values()) == {head - stop} and len(lag) == len(ALL)
    runner.run_once()
    for _ in range(200):  # at most 7 rows a table per scrape: catch up
        samples = scrape(metrics)
    expected = expected_from_views(views)
    for name, values in expected.items():
        assert pick(samples, name) == values, name
    for projection in ALL:  # a rebuild while being scraped
        views.reset(projection.name, projection.tables)
    scrape(metrics)
    ProjectionRunner(store.log, views).run_once()
    for _ in range(200):
        samples = scrape(metrics)
    assert pick(samples, "memesnipe_orders") == expected["memesnipe_orders"]
    assert sum(pick(samples, "memesnipe_read_side_up").values()) == 1
