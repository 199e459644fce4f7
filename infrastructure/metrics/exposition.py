"""Exposing a ``Metrics`` registry: bytes for the API's ``/metrics`` route, or a port of its own.

``render`` negotiates the format from the request's ``Accept`` header as
prometheus_client does (OpenMetrics when asked, else the text format 0.0.4).
``start_metrics_server`` is for a process without the API (the projections
daemon): it serves the registry on its own port, unauthenticated, so bind it
to an address only Prometheus can reach.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client.exposition import choose_encoder, start_http_server

from infrastructure.metrics.registry import Metrics


def render(metrics: Metrics, accept: str = "") -> tuple[bytes, str]:
    """The exposition of every metric in ``metrics`` and its content type (for an HTTP response)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(metrics.registry), content_type


def start_metrics_server(
    metrics: Metrics, port: int, addr: str = "127.0.0.1"
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``metrics`` at ``http://addr:port/metrics`` from a daemon thread (``shutdown()`` stops it)."""
    return start_http_server(port, addr, registry=metrics.registry)
