"""``Metrics``: one process's instruments, in a registry of its own.

Each ``Metrics`` owns a ``CollectorRegistry`` (never prometheus_client's global
one), so tests and several apps in one process never collide. It holds the
instruments that code updates as things happen (appends, view commits, HTTP
requests); the read side is a collector added with ``watch_read_side`` that
reads the views at scrape time. Names are full words, prefixed ``memesnipe_``.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from domain.events import Event
from domain.events.market import MarketEvent
from infrastructure.metrics.read_side import ReadSideCollector
from infrastructure.metrics.rejections import RejectionLabels
from infrastructure.metrics.view_tallies import ViewReader

SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
C = TypeVar("C", bound=Collector)
TYPE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


class Metrics:
    """The instruments of one process; expose them with ``exposition.render``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._collectors: list[Collector] = []
        self._rejections = RejectionLabels()
        self._market_times: dict[tuple[str, str], int] = {}
        self.events_appended = self._add(
            Counter(
                "memesnipe_events_appended", "Events appended to the log, by topic.", ["topic"], registry=None
            )
        )
        self.events_rejected = self._add(
            Counter(
                "memesnipe_events_rejected",
                "Refusals recorded as events (bad market data, risk denials, venue rejections), "
                "by topic and reason code.",
                ["topic", "reason"],
                registry=None,
            )
        )
        self.append_seconds = self._add(
            Histogram(
                "memesnipe_append_seconds",
                "Time of one append to the log: one transaction, its commit included.",
                buckets=SECONDS_BUCKETS,
                registry=None,
            )
        )
        self.events_per_append = self._add(
            Histogram(
                "memesnipe_events_per_append",
                "Events committed by one append.",
                buckets=BATCH_BUCKETS,
                registry=None,
            )
        )
        self.append_errors = self._add(
            Counter(
                "memesnipe_append_errors",
                "Appends that failed (rolled back), by error type.",
                ["error"],
                registry=None,
            )
        )
        self.market_data_last_event = self._add(
            Gauge(
                "memesnipe_market_data_last_event_timestamp_seconds",
                "Event time of the newest market data this process appended; staleness is time() minus it.",
                ["venue", "symbol"],
                registry=None,
            )
        )
        self.projection_commit_seconds = self._add(
            Histogram(
                "memesnipe_projection_commit_seconds",
                "Time of one read-side commit: new row versions and tracking positions, one transaction.",
                buckets=SECONDS_BUCKETS,
                registry=None,
            )
        )
        self.projection_versions_written = self._add(
            Counter(
                "memesnipe_projection_versions_written",
                "Row versions committed, by table.",
                ["table"],
                registry=None,
            )
        )
        self.http_requests = self._add(
            Counter(
                "memesnipe_http_requests",
                "API requests answered, by method, route template and status code.",
                ["method", "route", "status"],
                registry=None,
            )
        )
        self.http_request_seconds = self._add(
            Histogram(
                "memesnipe_http_request_seconds",
                "Time to answer an API request, by method and route template.",
                ["method", "route"],
                buckets=REQUEST_BUCKETS,
                registry=None,
            )
        )

    def _add(self, collector: C) -> C:
        self.registry.register(collector)
        self._collectors.append(collector)
        return collector

    def watch_read_side(
        self, views: ViewReader, log_head: Callable[[], int], *, max_rows_per_scrape: int = 100_000
    ) -> ReadSideCollector:
        """Export the projections' views at every scrape (lag, orders, breakers, equity, P&L, fills)."""
        collector = ReadSideCollector(views, log_head, max_rows_per_scrape=max_rows_per_scrape)
        self._add(collector)
        return collector

    def appended(self, events: Sequence[Event], seconds: float) -> None:
        """Account one successful append of ``events`` that took ``seconds``."""
        self.append_seconds.observe(seconds)
        self.events_per_append.observe(len(events))
        kinds: Tally[type[Event]] = Tally(type(event) for event in events)
        for kind, count in kinds.items():
            self.events_appended.labels(kind.TOPIC).inc(count)
            if kind in self._rejections.kinds:
                reasons = Tally(self._rejections.reason_of(e) for e in events if type(e) is kind)
                for reason, times in reasons.items():
                    self.events_rejected.labels(kind.TOPIC, reason).inc(times)
        if any(issubclass(kind, MarketEvent) for kind in kinds):
            self._note_market_times(events)

    def append_failed(self, error: BaseException) -> None:
        """Account one append that raised (nothing of it was stored)."""
        self.append_errors.labels(type(error).__name__).inc()

    def projections_committed(self, versions_by_table: dict[str, int], seconds: float) -> None:
        """Account one read-side commit."""
        self.projection_commit_seconds.observe(seconds)
        for table, count in versions_by_table.items():
            self.projection_versions_written.labels(table).inc(count)

    def request_answered(self, method: str, route: str, status: int, seconds: float) -> None:
        """Account one API request (``route`` is the route's template, never the raw path)."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_request_seconds.labels(method, route).observe(seconds)

    def exported_names(self) -> frozenset[str]:
        """Every sample name this registry can export (``_total``, ``_bucket``... included)."""
        names: set[str] = set()
        for collector in self._collectors:
            for family in _describe(collector):
                names.update(family.name + suffix for suffix in TYPE_SUFFIXES[family.type])
        return frozenset(names)

    def _note_market_times(self, events: Sequence[Event]) -> None:
        newest = self._market_times
        changed: set[tuple[str, str]] = set()
        for event in events:
            if not isinstance(event, MarketEvent):
                continue
            key = (event.venue, event.symbol)
            ts = event.ts_event
            if ts > newest.get(key, -1):
                newest[key] = ts
                changed.add(key)
        for key in changed:
            self.market_data_last_event.labels(*key).set(newest[key] / 1e9)


def _describe(collector: Collector) -> Iterable[Metric]:
    describe: Callable[[], Iterable[Metric]] | None = getattr(collector, "describe", None)
    return describe() if describe is not None else collector.collect()
