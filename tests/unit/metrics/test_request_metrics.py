"""API requests are counted by method, route template and status, and timed."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from infrastructure.metrics import Metrics, RequestMetrics


def app_with(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/v1/orders/{order_id}")
    def one_order(order_id: str) -> dict[str, str]:
        return {"order_id": order_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("broken")

    return app


def count(metrics: Metrics, **labels: str) -> float | None:
    return metrics.registry.get_sample_value("memesnipe_http_requests_total", labels)


def test_requests_are_labelled_by_route_template_never_the_raw_path() -> None:
    metrics = Metrics()
    client = TestClient(app_with(metrics), raise_server_exceptions=False)
    for order_id in ("a", "b", "c"):
        assert client.get(f"/v1/orders/{order_id}").status_code == 200
    assert client.get("/nowhere").status_code == 404
    assert client.get("/boom").status_code == 500
    assert count(metrics, method="GET", route="/v1/orders/{order_id}", status="200") == 3
    assert count(metrics, method="GET", route="unmatched", status="404") == 1
    assert count(metrics, method="GET", route="/boom", status="500") == 1
    seconds = metrics.registry.get_sample_value(
        "memesnipe_http_request_seconds_count", {"method": "GET", "route": "/v1/orders/{order_id}"}
    )
    assert seconds == 3
