"""The read-model API through the real HTTP stack, with each role, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from application.backtest import BacktestReport
from domain.market.values import format_timestamp
from infrastructure.bootstrap import migrate, open_ledger, open_read_models
from projections.base import Version
from projections.portfolio import POSITIONS, PositionRow
from tests.conftest import fresh_pg_settings, settings_for
from tests.e2e.api_server import Served, serve
from tests.integration.test_projections import backtest

SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
VIEW_ROUTES = [
    "/v1/positions",
    "/v1/cash",
    "/v1/equity",
    "/v1/equity/chart",
    "/v1/pnl/daily",
    "/v1/orders",
    "/v1/fills",
    "/v1/breakers",
    "/v1/breakers/history",
    "/v1/operator-commands",
    "/v1/execution-quality",
    "/v1/strategies/performance",
    "/metrics",
]
AUDIT_ROUTES = ["/v1/audit/events", "/v1/audit/chain", "/v1/audit/risk-state?at=2023-11-14T23:00:00Z"]


@pytest.fixture(params=SQL_STORES, scope="module")
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, BacktestReport]]:
    if request.param == "postgres":
        settings = fresh_pg_settings(
            request.getfixturevalue("pg_server"), request.getfixturevalue("pg_database")
        )
    else:
        settings = settings_for(request.param, tmp_path_factory.mktemp("api"), request)
    migrate(settings)
    with open_ledger(settings) as store:
        report = backtest(store)
    with serve(settings) as server:
        yield server, report


def test_health_is_public_and_everything_else_needs_a_key(served: tuple[Served, BacktestReport]) -> None:
    server, _ = served
    with server.client() as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").json()["ready"] is True
        by_id = ["/v1/orders/x", "/v1/audit/orders/x/why", "/v1/audit/breakers/1/why"]
        for route in [*VIEW_ROUTES, *AUDIT_ROUTES, *by_id, "/v1/stream?max_events=1"]:
            response = anonymous.get(route)
            assert response.status_code == 401, route
            assert response.headers["www-authenticate"] == "Bearer"
        assert anonymous.post("/v1/commands/halt", json={"reason": "test"}).status_code == 401
    with server.client() as wrong:
        assert (
            wrong.get("/v1/positions", headers={"Authorization": "Bearer msk_000000000000_nope"}).status_code
            == 401
        )
        assert wrong.get("/v1/positions", headers={"X-API-Key": "not-a-key"}).status_code == 401


def test_each_role_reaches_what_it_may_and_gets_403_above_it(served: tuple[Served, BacktestReport]) -> None:
    server, _ = served
    for role in ("viewer", "auditor", "operator"):
        with server.client(role) as client:
            for route in VIEW_ROUTES:
                assert client.get(route).status_code == 200, (role, route)
            for route in AUDIT_ROUTES:
                assert client.get(route).status_code == (403 if role == "viewer" else 200), (role, route)
            for route in (
                "/v1/audit/orders/not-an-id/why",
                "/v1/audit/breakers/1/why",
            ):  # 400 / 404 past the role
                assert client.get(route).status_code == (
                    403 if role == "viewer" else 400 if "orders" in route else 404
                )
            assert client.get("/v1/orders/no-such-order").status_code == 404
            command = client.post("/v1/commands/halt", json={"reason": "test"})
            # the backtest's session has ended: an operator is refused with 409, lower roles with 403
            assert command.status_code == (409 if role == "operator" else 403), (role, command.text)


def test_views_over_http_match_the_backtest(served: tuple[Served, BacktestReport]) -> None:
    server, report = served
    with server.client("viewer") as client:
        curve, cursor = [], None
        while True:
            page = client.get(
                "/v1/equity", params={"limit": 17, **({"cursor": cursor} if cursor else {})}
            ).json()
            curve += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [Decimal(p["equity"]) for p in curve] == report.equity
        assert len({p["seq"] for p in curve}) == len(curve)
        denied = client.get("/v1/orders", params={"status": "denied"}).json()["items"]
        assert len(denied) == sum(report.denials.values()) and all(o["reason"] for o in denied)
        filled = client.get("/v1/orders", params={"status": "filled"}).json()["items"]
        assert len(filled) == 2 * len(report.trades)
        detail = client.get(f"/v1/orders/{filled[0]['order_id']}").json()
        assert [v["status"] for v in detail["history"]] == ["approved", "submitted", "accepted", "filled"]
        assert len(detail["fills"]) == 1 and detail["order"]["status"] == "filled"
        assert client.get("/v1/orders/no-such-order").status_code == 404
        [breaker] = client.get("/v1/breakers").json()["items"]
        assert breaker["state"] == report.breakers[-1]["to"]


def test_the_equity_chart_holds_every_mark_of_the_session_in_its_buckets(
    served: tuple[Served, BacktestReport],
) -> None:
    server, report = served
    with server.client("viewer") as client:
        chart = client.get("/v1/equity/chart", params={"points": 7}).json()
        [first] = client.get("/v1/equity", params={"limit": 1}).json()["items"]
        [last] = client.get("/v1/equity", params={"order": "desc", "limit": 1}).json()["items"]
        assert (chart["first"], chart["last"]) == (first, last)
        assert (chart["account"], chart["marks"]) == ("backtest", len(report.equity))
        buckets = chart["buckets"]
        assert len(buckets) == 7 and sum(b["marks"] for b in buckets) == len(report.equity)
        assert (buckets[0]["ts_first"], buckets[-1]["ts_last"]) == (first["ts"], last["ts"])
        assert min(Decimal(b["equity_min"]) for b in buckets) == min(report.equity)
        assert max(Decimal(b["equity_max"]) for b in buckets) == max(report.equity)
        whole = client.get("/v1/equity/chart").json()  # the default: a bucket per mark here
        assert [Decimal(b["equity_min"]) for b in whole["buckets"]] == report.equity
        assert whole["views_at"] == client.get("/v1/cash").json()["views_at"]
        assert client.get("/v1/equity/chart", params={"account": "nobody"}).json()["buckets"] == []
        for points in (0, 2001):
            assert client.get("/v1/equity/chart", params={"points": points}).status_code == 422


@pytest.mark.parametrize("kind", SQL_STORES)
def test_pages_of_current_rows_stay_at_the_first_pages_moment(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    views = open_read_models(settings)

    def position(symbol: str, quantity: int) -> PositionRow:
        return PositionRow(
            ts=1,
            account="acct",
            strategy_id="s",
            symbol=symbol,
            quantity=Decimal(quantity),
            average_price=Decimal(1),
            cost_basis=Decimal(quantity),
            realized_pnl=Decimal(0),
            fees=Decimal(0),
            fills=1,
        )

    symbols = ["S1", "S2", "S3", "S4"]
    views.commit(
        {"portfolio": 4}, {POSITIONS.name: [Version(i, i, position(s, 1)) for i, s in enumerate(symbols, 1)]}
    )
    seq, at, current = 4, 4, {s: i for i, s in enumerate(symbols, 1)}  # each symbol's current seq
    with serve(settings, run_projections=False) as server, server.client("viewer") as client:
        for order, moving in (("desc", "S1"), ("asc", "S2")):
            first = client.get("/v1/positions", params={"limit": 2, "order": order}).json()
            # the row of a later page (desc) or of this page (asc) changes before the next page is read
            seq, at = seq + 1, at + 1
            views.commit(
                {"portfolio": at}, {POSITIONS.name: [Version(seq, at, position(moving, 2), current[moving])]}
            )
            current[moving] = seq
            second = client.get(
                "/v1/positions", params={"limit": 2, "order": order, "cursor": first["next_cursor"]}
            ).json()
            items = first["items"] + second["items"]
            assert sorted(i["symbol"] for i in items) == symbols, (order, items)
            assert second["next_cursor"] is None and second["as_of"] == at - 1
            assert all(i["quantity"] == "1" or i["symbol"] != moving for i in second["items"])
            now = client.get("/v1/positions").json()["items"]
            assert {i["symbol"]: i["quantity"] for i in now}[moving] == "2"
        assert client.get("/v1/positions", params={"cursor": f"1.{at + 5}"}).status_code == 409
        assert client.get("/v1/positions", params={"cursor": f"1.{2**63}"}).status_code == 400
        assert client.get("/v1/positions", params={"cursor": "1.2", "as_of": "0"}).status_code == 400
        assert client.get("/v1/positions", params={"cursor": "12"}).status_code == 422
    views.close()


def test_as_of_by_time_and_by_id_answers_for_that_moment(served: tuple[Served, BacktestReport]) -> None:
    server, report = served
    middle = report.timestamps[60]
    with server.client("viewer") as client:
        by_time = client.get(
            "/v1/equity", params={"as_of": format_timestamp(middle), "order": "desc", "limit": 1}
        )
        [last] = by_time.json()["items"]
        assert last["ts"] == middle and Decimal(last["equity"]) == report.equity[60]
        as_of = by_time.json()["as_of"]
        by_id = client.get("/v1/equity", params={"as_of": as_of, "order": "desc", "limit": 1}).json()
        assert by_id["items"] == [last]
        head = client.get("/readyz").json()["log_head"]
        assert client.get("/v1/positions", params={"as_of": head + 10}).status_code == 409
        assert client.get("/v1/positions", params={"as_of": "yesterday"}).status_code == 400
        assert client.get("/v1/equity", params={"from": "not a time"}).status_code == 400
        for beyond in ("1e30", "99999999999999999999999", "0001-01-01T00:00:00+14:00"):
            assert client.get("/v1/equity", params={"to": beyond}).status_code == 400, beyond
        assert client.get("/v1/equity", params={"limit": 0}).status_code == 422


def test_audit_routes_explain_an_order_and_page_the_history(served: tuple[Served, BacktestReport]) -> None:
    server, report = served
    with server.client("auditor") as client:
        [order] = client.get("/v1/orders", params={"status": "filled", "limit": 1}).json()["items"]
        why = client.get(f"/v1/audit/orders/{order['order_id']}/why").json()
        steps = [s["step"] for s in why["steps"]]
        assert steps[-5:] == ["signal", "risk decision", "submitted", "venue report", "venue report"]
        assert "input" in steps and why["position_after_fills"]
        assert client.get("/v1/audit/orders/not-a-uuid/why").status_code == 400
        first = client.get("/v1/audit/events", params={"limit": 5}).json()
        second = client.get("/v1/audit/events", params={"limit": 5, "cursor": first["next_cursor"]}).json()
        ids = [e["notification_id"] for e in first["items"] + second["items"]]
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert first["items"][0]["topic"] == "engine.Session.Started"
        state = client.get(
            "/v1/audit/risk-state", params={"at": format_timestamp(report.timestamps[-1])}
        ).json()
        assert Decimal(state["equity"]) == report.equity[-1]


def test_audit_explains_a_breaker_change(served: tuple[Served, BacktestReport]) -> None:
    server, report = served
    with server.client("auditor") as client:
        [breaker] = client.get("/v1/breakers").json()["items"]
        story = client.get(f"/v1/audit/breakers/{breaker['valid_from']}/why").json()
        steps = [s["step"] for s in story["steps"]]
        assert "trigger" in steps and "breaker" in steps
        assert steps.count("denied") == sum(report.denials.values())
        [change] = [s for s in story["steps"] if s["step"] == "breaker"]
        assert (
            change["notification_id"] == breaker["valid_from"]
            and change["event"]["after"] == breaker["state"]
        )
        assert story["limits_in_force"]["version"] == "limits-1"
        assert client.get(f"/v1/audit/breakers/{breaker['valid_from'] - 1}/why").status_code == 404
    with server.client("viewer") as viewer:
        assert viewer.get(f"/v1/audit/breakers/{breaker['valid_from']}/why").status_code == 403


def test_the_stream_sends_decisions_with_resumable_ids(served: tuple[Served, BacktestReport]) -> None:
    server, _ = served
    with server.client("viewer") as client:
        body = client.get("/v1/stream", params={"after": 0, "max_events": 3}).text
    messages = [m for m in body.split("\n\n") if m]
    assert len(messages) == 3
    assert messages[0].startswith("id: ") and "event: strategy.Signal.Generated" in messages[0]
    ids = [int(m.split("\n")[0].removeprefix("id: ")) for m in messages]
    assert ids == sorted(ids)
    with server.client("viewer") as client:
        resumed = client.get("/v1/stream", params={"max_events": 1}, headers={"Last-Event-ID": str(ids[1])})
        assert resumed.text.startswith(f"id: {ids[2]}\n")
        for bad in ("\u00b2".encode(), b"x1", str(2**63).encode()):
            refused = client.get("/v1/stream", headers={"Last-Event-ID": bad})
            assert refused.status_code == 400 and "Last-Event-ID" in refused.json()["detail"]


@pytest.mark.parametrize("kind", SQL_STORES)
def test_an_operator_command_is_recorded_with_the_keys_identity(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.engine_helpers import config

    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        store.log.append([config().session("test", "test-version")])  # a session that is running
    with serve(settings) as server, server.client("operator") as client:
        with ThreadPoolExecutor(8) as pool:  # at once: each gets its own version of the stream
            statuses = list(
                pool.map(
                    lambda i: client.post("/v1/commands/halt", json={"reason": f"burst {i}"}).status_code,
                    range(24),
                )
            )
        assert statuses == [201] * 24
        recorded = client.post("/v1/commands/halt", json={"scope": "account", "reason": "news"}).json()
        assert recorded["issued_by"].startswith("api-key:test-operator:")
        assert client.post("/v1/commands/explode", json={"reason": "x"}).status_code == 422
        assert client.post("/v1/commands/halt", json={"reason": ""}).status_code == 422
        events = client.get("/v1/audit/events", params={"topic": "operator.Command.Issued"})
    with open_ledger(settings) as store:
        [command] = [
            r.event
            for page in store.log.read()
            for r in page
            if r.notification_id == recorded["notification_id"]
        ]
    assert command.issued_by == recorded["issued_by"] and command.reason == "news"  # type: ignore[attr-defined]
    assert command.originator_version == 25
    assert events.status_code == 200


@pytest.mark.parametrize("kind", SQL_STORES)
def test_risk_state_on_a_store_without_a_session_is_a_conflict_not_an_error(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    with serve(settings) as server, server.client("auditor") as client:
        answer = client.get("/v1/audit/risk-state", params={"at": "2023-11-14T23:00:00Z"})
    assert answer.status_code == 409 and "no session" in answer.json()["detail"]


def test_metrics_expose_the_views_numbers(served: tuple[Served, BacktestReport]) -> None:
    server, report = served
    with server.client("viewer") as client:
        text = client.get("/metrics").text
        client.get("/v1/cash")
        again = client.get("/metrics").text
    samples = {
        line.split(" ")[0]: line.split(" ")[1] for line in text.splitlines() if line and line[0] != "#"
    }
    state = report.breakers[-1]["to"]
    assert (
        float(samples[f'memesnipe_breaker_state{{account="backtest",scope="account",state="{state}"}}']) == 3
    )
    denied = sum(float(v) for k, v in samples.items() if k.startswith("memesnipe_orders_denied_total{"))
    assert denied == sum(report.denials.values())
    assert float(samples['memesnipe_equity{account="backtest"}']) == float(report.equity[-1])
    assert 'memesnipe_http_requests_total{method="GET",route="/v1/cash",status="200"}' in again


def test_a_revoked_key_is_refused(served: tuple[Served, BacktestReport]) -> None:
    from infrastructure.api.keys import ApiKeyStore

    server, _ = served
    keys = ApiKeyStore(server.settings)
    key, identity = keys.create("short-lived", "viewer")
    with server.client() as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/cash", headers=headers).status_code == 200
        keys.revoke(identity.key_id)
        assert client.get("/v1/cash", headers=headers).status_code == 401
