"""Metric names: prefixed, full words, in a registry of each ``Metrics`` own."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY

from infrastructure.metrics import InstrumentedEventLog, Metrics
from tests.factories import bars
from tests.unit.metrics.fakes import FakeLog, FakeViews

ABBREVIATIONS = {
    "pnl", "qty", "dd", "ts", "ms", "ns", "us", "sec", "secs", "lat", "cnt", "num", "req", "reqs", "resp",
    "err", "errs", "bps", "avg", "pct", "proj", "evt", "evts", "msg", "ord", "pos", "eq", "hw", "db", "tx",
}  # fmt: skip


def exported(metrics: Metrics) -> frozenset[str]:
    return metrics.exported_names()


def test_every_name_is_prefixed_lowercase_and_made_of_full_words() -> None:
    metrics = Metrics()
    metrics.watch_read_side(FakeViews(), lambda: 0)
    names = exported(metrics)
    assert len(names) > 50
    for name in names:
        assert re.fullmatch(r"memesnipe(_[a-z]+)+", name), name
        assert not set(name.split("_")) & ABBREVIATIONS, name


def test_the_read_side_and_the_instruments_export_what_the_issue_asks_for() -> None:
    metrics = Metrics()
    metrics.watch_read_side(FakeViews(), lambda: 0)
    assert {
        "memesnipe_events_appended_total",
        "memesnipe_events_rejected_total",
        "memesnipe_append_seconds_bucket",
        "memesnipe_projection_commit_seconds_bucket",
        "memesnipe_projection_lag_events",
        "memesnipe_orders",
        "memesnipe_orders_denied_total",
        "memesnipe_breaker_state",
        "memesnipe_equity",
        "memesnipe_drawdown_percent",
        "memesnipe_daily_realized_profit_and_loss",
        "memesnipe_fill_latency_seconds_bucket",
        "memesnipe_fill_slippage_basis_points_bucket",
        "memesnipe_market_data_last_event_timestamp_seconds",
        "memesnipe_equity_mark_timestamp_seconds",
        "memesnipe_http_requests_total",
    } <= exported(metrics)


def test_two_metrics_in_one_process_do_not_collide_nor_touch_the_global_registry() -> None:
    first, second = Metrics(), Metrics()
    first.watch_read_side(FakeViews(), lambda: 0)
    second.watch_read_side(FakeViews(), lambda: 0)
    InstrumentedEventLog(FakeLog(), first).append(bars(2))
    assert first.registry.get_sample_value("memesnipe_events_appended_total", {"topic": "market.Bar"}) == 2
    assert (
        second.registry.get_sample_value("memesnipe_events_appended_total", {"topic": "market.Bar"}) is None
    )
    assert not any(name.startswith("memesnipe_") for family in REGISTRY.collect() for name in [family.name])


def test_describing_the_read_side_reads_no_view() -> None:
    views = FakeViews()
    views.broken = True  # any read would raise
    metrics = Metrics()
    metrics.watch_read_side(views, lambda: 0)
    assert "memesnipe_breaker_state" in metrics.exported_names()
