"""Prometheus metrics: full-word names prefixed ``memesnipe_`` (CONVENTIONS.md rule 13).

- ``registry.Metrics``: one process's registry and instruments (never the global registry).
- ``event_log.InstrumentedEventLog``: counts and times appends (and recorded refusals).
- ``instrumented_views.InstrumentedViews``: times the read side's commits.
- ``read_side.ReadSideCollector`` (via ``Metrics.watch_read_side``): the views at scrape time.
- ``http.RequestMetrics``: ASGI middleware for the API's requests.
- ``exposition.render`` / ``start_metrics_server``: the bytes for ``/metrics``, or a port.

``deploy/`` holds the Prometheus rules and the Grafana dashboard that use these names;
``tests/unit/test_deploy_files.py`` checks every name they use is exported here.
"""

from infrastructure.metrics.event_log import InstrumentedEventLog
from infrastructure.metrics.exposition import render, start_metrics_server
from infrastructure.metrics.http import RequestMetrics
from infrastructure.metrics.instrumented_views import InstrumentedViews
from infrastructure.metrics.read_side import ReadSideCollector
from infrastructure.metrics.registry import Metrics
from infrastructure.metrics.view_tallies import ViewReader

__all__ = [
    "InstrumentedEventLog",
    "InstrumentedViews",
    "Metrics",
    "ReadSideCollector",
    "RequestMetrics",
    "ViewReader",
    "render",
    "start_metrics_server",
]
