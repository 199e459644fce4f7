"""deploy/: the alert rules, the Grafana dashboard, its provisioning and the compose stack hold together.

Every PromQL expression may use only metric names ``Metrics`` exports; the compose
file runs real ``memesnipe`` subcommands; paths and ids agree between files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from infrastructure.cli.main import app
from infrastructure.metrics import Metrics
from tests.promql import metric_names, problems
from tests.unit.metrics.fakes import FakeViews

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = {"postgres", "migrate", "engine", "api", "prometheus", "grafana"}
DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")
RULE_KEYS = {"alert", "expr", "for", "labels", "annotations"}


def load_yaml(relative: str) -> Any:
    return yaml.safe_load((DEPLOY / relative).read_text())


@pytest.fixture(scope="module")
def exported() -> frozenset[str]:
    metrics = Metrics()
    metrics.watch_read_side(FakeViews(), lambda: 0)
    return metrics.exported_names()


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml("prometheus/alerts.yml")["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana/dashboards/memesnipe.json").read_text())
    return loaded


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml("docker-compose.yml")
    return loaded


def cli_problems(args: list[str]) -> list[str]:
    """Whether ``memesnipe ARGS`` names a real subcommand with real options."""
    command: Any = get_command(app)
    words = list(args)
    while hasattr(command, "commands"):  # a group (typer's own click, so no isinstance)
        if not words or words[0] not in command.commands:
            return [f"memesnipe has no command {' '.join(args[: len(args) - len(words) + 1])!r}"]
        command = command.commands[words.pop(0)]
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    return [
        f"{' '.join(args)}: no option {w}"
        for w in words
        if w.startswith("-") and w.split("=")[0] not in options
    ]


# alert rules -----------------------------------------------------------------------


def test_alert_rules_have_the_structure_prometheus_loads() -> None:
    groups = load_yaml("prometheus/alerts.yml")["groups"]
    assert len({g["name"] for g in groups}) == len(groups)
    rules = alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert set(rule) <= RULE_KEYS and {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        assert re.fullmatch(r"[A-Z][A-Za-z]+", rule["alert"])
        assert DURATION.match(rule.get("for", "0m")), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert {"summary", "description"} <= set(rule["annotations"])
        assert rule["annotations"]["summary"].count("{{") == rule["annotations"]["summary"].count("}}")


def test_the_alerts_the_issue_asks_for_exist() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "BreakerTripped",
        "ProjectionLagHigh",
        "MarketDataStale",
        "VenueErrorRateHigh",
        "ApiErrorRateHigh",
    } <= names
    [tripped] = [r for r in alert_rules() if r["alert"] == "BreakerTripped"]
    assert "memesnipe_breaker_state" in tripped["expr"] and ">= 3" in tripped["expr"]  # HALTED or worse


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_each_alert_expression_is_sound_and_uses_exported_metrics(
    rule: dict[str, Any], exported: frozenset[str]
) -> None:
    assert problems(rule["expr"], exported) == []
    assert metric_names(rule["expr"])


def test_the_checker_catches_what_would_break_a_rule(exported: frozenset[str]) -> None:
    assert problems("sum(rate(memesnipe_orders_denied_total[5m])", exported) == ["unclosed '('"]
    assert problems("rates(memesnipe_orders_denied_total[5m])", exported) == ["unknown function rates"]
    assert problems("rate(memesnipe_orders_denied_total[5x])", exported) == ["bad range [5x"]
    assert problems("memesnipe_orders_total > 0", exported) == ["memesnipe_orders_total is not exported"]
    assert problems('memesnipe_orders{status="denied"} > 0', exported) == []


# Grafana -------------------------------------------------------------------------


def test_the_dashboard_is_valid_grafana_json_with_unique_panel_ids() -> None:
    board = dashboard()
    assert isinstance(board["schemaVersion"], int) and board["uid"] and board["title"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["type"] and panel["title"] and set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["targets"], panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs))
        assert all(target["expr"].strip() for target in panel["targets"])


def test_every_panel_uses_the_provisioned_datasource() -> None:
    [source] = load_yaml("grafana/provisioning/datasources/prometheus.yml")["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    for panel in dashboard()["panels"]:
        for holder in (panel, *panel["targets"]):
            assert holder["datasource"] == {"type": "prometheus", "uid": source["uid"]}, panel["title"]


@pytest.mark.parametrize("expr", dashboard_exprs())
def test_each_dashboard_expression_is_sound_and_uses_exported_metrics(
    expr: str, exported: frozenset[str]
) -> None:
    assert problems(expr, exported) == []


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    used = set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    assert {
        "memesnipe_equity",
        "memesnipe_drawdown_percent",
        "memesnipe_daily_realized_profit_and_loss",
        "memesnipe_breaker_state",
        "memesnipe_orders",
        "memesnipe_orders_denied_total",
        "memesnipe_fill_latency_seconds_bucket",
        "memesnipe_fill_slippage_basis_points_bucket",
        "memesnipe_projection_lag_events",
        "memesnipe_events_appended_total",
        "memesnipe_append_seconds_bucket",
    } <= used
    assert sum("histogram_quantile" in expr for expr in dashboard_exprs()) >= 4


def test_the_dashboard_provider_reads_the_folder_compose_mounts() -> None:
    [provider] = load_yaml("grafana/provisioning/dashboards/memesnipe.yml")["providers"]
    mounts = _mounts(compose()["services"]["grafana"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


# docker-compose and Prometheus -----------------------------------------------------


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    return {v.split(":")[0]: v.split(":")[1] for v in service.get("volumes", []) if v.startswith("./")}


def test_compose_has_the_services_each_with_a_healthcheck_in_dependency_order() -> None:
    services = compose()["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        if name != "migrate":  # a one-shot: its exit code is its health
            assert service["healthcheck"]["test"], name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("engine", "api"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["postgres"]["image"] == "postgres:16"


def test_compose_runs_real_memesnipe_subcommands() -> None:
    services = compose()["services"]
    ours = {name: s for name, s in services.items() if s.get("image") == "memesnipe:latest"}
    assert set(ours) == {"migrate", "engine", "api"}
    assert [ours[name]["command"][:2] for name in ("migrate", "engine")] == [
        ["db", "migrate"],
        ["projections", "run"],
    ]
    assert ours["api"]["command"][0] == "serve"
    for name, service in ours.items():
        assert cli_problems(service["command"]) == [], name
        health = service.get("healthcheck", {}).get("test", [])
        if health[1:2] == ["memesnipe"]:
            assert cli_problems(health[2:]) == [], name


def test_the_readme_commands_are_real_subcommands() -> None:
    readme = (DEPLOY / "README.md").read_text()
    commands = re.findall(r"run --rm api ([a-z][^\n`]*)", readme)
    assert any(c.startswith("api-keys create") for c in commands)
    for command in commands:
        assert cli_problems(command.split()) == [], command


def test_the_checker_catches_a_command_that_does_not_exist() -> None:
    assert cli_problems(["projections", "runn"]) == ["memesnipe has no command 'projections runn'"]
    assert cli_problems(["db", "migrate", "--nope"]) == ["db migrate --nope: no option --nope"]


def test_prometheus_scrapes_the_api_with_a_key_file_compose_mounts() -> None:
    config = load_yaml("prometheus/prometheus.yml")
    prometheus = compose()["services"]["prometheus"]
    mounts = _mounts(prometheus)
    assert set(mounts.values()) >= {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"}
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "memesnipe-api"]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
    key_file = Path(job["authorization"]["credentials_file"])
    assert str(key_file.parent) in mounts.values()
    api = compose()["services"]["api"]
    port = api["command"][api["command"].index("--port") + 1]
    assert job["static_configs"] == [{"targets": [f"api:{port}"]}]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def test_the_image_is_built_from_the_lock_file_without_resolving_again() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install -r requirements.lock" in dockerfile and "--no-deps" in dockerfile
    assert re.search(r"^USER \w+$", dockerfile, re.M)  # not root
    build = compose()["x-memesnipe"]["build"]
    assert build == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_the_build_context_leaves_out_secrets_and_the_virtualenv_but_not_what_the_image_copies() -> None:
    ignored = {
        line.strip()
        for line in (DEPLOY.parent / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "deploy/.env", "deploy/secrets"} <= ignored
    copied = [
        source
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    assert copied and not [s for s in copied if s.rstrip("/") in ignored]
