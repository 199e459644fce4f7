"""``memesnipe projections`` and ``memesnipe api-keys`` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from infrastructure.bootstrap import migrate, open_ledger
from infrastructure.config import Settings
from tests.conftest import settings_for
from tests.e2e.test_cli import MEMESNIPE, clean_env, pg_env, run
from tests.factories import bars
from tests.integration.test_projections import backtest


def lags(output: str) -> dict[str, int]:
    return {
        m[1]: int(m[2].replace(",", ""))
        for m in re.finditer(r"(\w+) at [\d,]+ of [\d,]+ \(lag ([\d,]+)\)", output)
    }


def test_projections_run_once_status_and_rebuild_on_a_run_log(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        backtest(store)
    where = ["--log", str(settings.sqlite_path)]
    before = run("projections", "status", *where)
    assert before.returncode == 0 and all(lag > 0 for lag in lags(before.stdout).values())
    once = run("projections", "run", "--once", *where)
    assert once.returncode == 0 and "row versions written" in once.stdout
    after = run("projections", "status", *where)
    assert set(lags(after.stdout)) >= {"portfolio", "orders", "breakers"} and not any(
        lags(after.stdout).values()
    )
    rebuilt = run("projections", "rebuild", "--only", "orders", *where)
    assert rebuilt.returncode == 0 and "rebuilt orders" in rebuilt.stdout
    unknown = run("projections", "rebuild", "--only", "nope", *where)
    assert unknown.returncode == 2 and "unknown projection" in unknown.stderr


def test_api_keys_are_shown_once_listed_without_the_key_and_revoked(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    created = run(*data, "api-keys", "create", "--name", "grafana", "--role", "viewer")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("msk_")
    key_id = key.split("_")[1]
    listed = run(*data, "api-keys", "list")
    assert key_id in listed.stdout and "viewer" in listed.stdout and key not in listed.stdout
    assert run(*data, "api-keys", "revoke", key_id).returncode == 0
    assert "revoked" in run(*data, "api-keys", "list").stdout
    wrong = run(*data, "api-keys", "create", "--name", "x", "--role", "admin")
    assert wrong.returncode == 2 and "role must be one of viewer, auditor, operator" in wrong.stderr


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_projections_run_follows_the_log_until_stopped(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings: Settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    env = pg_env(settings) if kind == "postgres" else clean_env(MEMESNIPE_DATA_DIR=str(settings.data_dir))
    follower = subprocess.Popen([MEMESNIPE, "projections", "run"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        with open_ledger(settings) as store:
            store.log.append([*bars(30)])
            head = store.log.append([*bars(20, start_version=31)])
        deadline = time.monotonic() + 30
        while True:  # polled on SQLite, woken by NOTIFY on PostgreSQL
            status = subprocess.run(
                [MEMESNIPE, "projections", "status"], env=env, capture_output=True, text=True
            )
            if f"portfolio at {head:,} of {head:,}" in status.stdout:
                break
            assert time.monotonic() < deadline, status.stdout + status.stderr
            time.sleep(0.2)
    finally:
        follower.send_signal(signal.SIGTERM)
        out, _ = follower.communicate(timeout=30)
    assert follower.returncode == 0, out
    assert "events" in out


@pytest.mark.parametrize("export_views", [False, True])
def test_the_runners_metrics_carry_the_views_only_when_asked(
    export_views: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings: Settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        backtest(store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flags = ["--export-views"] if export_views else []
    url = f"http://127.0.0.1:{port}"
    env = clean_env(MEMESNIPE_DATA_DIR=str(settings.data_dir))
    runner = subprocess.Popen(
        [MEMESNIPE, "projections", "run", "--metrics-port", str(port), *flags],
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # serving, and every projection caught up (so the views hold the run)
            try:
                served = "memesnipe_projection_versions_written_total{" in httpx.get(f"{url}/metrics").text
            except httpx.HTTPError:
                served = False
            status = run("projections", "status", env=env).stdout
            if served and lags(status) and not any(lags(status).values()):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        text = httpx.get(f"{url}/metrics").text
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.communicate(timeout=30)
    assert ("\nmemesnipe_equity{" in text) == export_views
