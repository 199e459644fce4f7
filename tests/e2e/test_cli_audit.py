"""The audit commands as a user runs them: window replay, breaker stories, periodic checkpoints."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import msgspec

from domain.events import OrderApproved
from infrastructure.store.codec import EventCodec
from tests.e2e.test_cli import BARS_CSV, MEMESNIPE, clean_env, run

T0 = 1_700_000_000


def backtest(tmp_path: Path, *extra: str) -> str:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    done = run(
        "--data-dir",
        str(tmp_path / "d"),
        "backtest",
        "--data",
        str(data),
        "--symbol",
        "TEST/USD",
        "--param",
        "fast=2",
        "--param",
        "slow=3",
        "--report",
        str(tmp_path / "r.json"),
        *extra,
    )
    assert done.returncode == 0, done.stderr
    log: str = json.loads((tmp_path / "r.json").read_text())["log"]
    return log


def test_audit_replay_passes_a_window_then_names_a_decision_altered_in_it(tmp_path: Path) -> None:
    log = backtest(tmp_path, "--size", "1", "--cash", "1000")
    window = ["--from", f"{T0 + 600}", "--to", "2023-11-14T22:40:00Z", "--log", log]
    honest = run("audit", "replay", *window)
    assert honest.returncode == 0, honest.stderr
    assert "identical" in honest.stdout and "window decision digest" in honest.stdout
    assert "inputs before the window replayed" in honest.stdout
    for args, message in (
        (["--from", "yesterday", "--to", "2023-11-15"], "--from: timestamp is not ISO-8601"),
        (["--from", "2023-11-15", "--to", "2023-11-14"], "is before --from"),
        (["--from", "2030-01-01", "--to", "2030-01-02"], "no input stamped in the window"),
    ):
        refused = run("audit", "replay", *args, "--log", log)
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr

    codec = EventCodec()
    conn = sqlite3.connect(log)
    rows = conn.execute("SELECT rowid, topic, state FROM stored_events ORDER BY rowid").fetchall()
    approvals = [(n, codec.decode(t, bytes(s))) for n, t, s in rows if t == "risk.Order.Approved"]
    rowid, approved = next((n, e) for n, e in approvals if e.ts_event > (T0 + 600) * 10**9)  # type: ignore[attr-defined]
    assert isinstance(approved, OrderApproved)
    altered = codec.encode(msgspec.structs.replace(approved, quantity=Decimal(3)))
    conn.execute("DROP TRIGGER stored_events_refuse_update")
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (altered, rowid))
    conn.commit()
    conn.close()

    caught = run("audit", "replay", *window)
    assert caught.returncode == 1
    assert f"notification id {rowid}, risk.Order.Approved" in caught.stderr
    assert (
        "recorded:" in caught.stderr
        and "recomputed:" in caught.stderr
        and "quantity=Decimal('3')" in caught.stderr
    )
    after = run("audit", "replay", "--from", "2023-11-14T22:45:00Z", "--to", "2023-11-15", "--log", log)
    assert after.returncode == 0 and "identical" in after.stdout  # the altered decision is before it


def test_audit_why_breaker_tells_the_emergency_story(tmp_path: Path) -> None:
    log = backtest(
        tmp_path,
        "--size",
        "10",
        "--cash",
        "200",
        "--max-trade-pct",
        "100",
        "--max-strategy-exposure-pct",
        "100",
    )
    shown = run("--data-dir", str(Path(log).parent), "log", "show", "--topic", "risk.Breaker.Changed")
    changes = [json.loads(line) for line in shown.stdout.splitlines()]
    emergency = next(c for c in changes if c["event"]["after"] == "EMERGENCY")
    story = run("audit", "why-breaker", str(emergency["notification_id"]), "--log", log, "--json")
    assert story.returncode == 0, story.stderr
    document = json.loads(story.stdout)
    steps = [s["step"] for s in document["steps"]]
    assert (
        steps[:2] == ["trigger", "breaker"] and "denied" in steps and steps[-2:] == ["flattened", "flattened"]
    )
    assert document["steps"][0]["topic"] == "market.Bar"
    assert document["steps"][0]["event"]["originator_version"] == emergency["event"]["cause"][1]
    assert document["limits_in_force"]["drawdown_emergency_pct"] == "10"
    text = run("audit", "why-breaker", str(emergency["notification_id"]), "--log", log)
    assert text.returncode == 0 and "limits-1 (from #1 engine.Session.Started)" in text.stdout
    assert "recovery_steps_pct=25/50/75/100" in text.stdout and "purpose=flatten" in text.stdout
    not_one = run("audit", "why-breaker", "2", "--log", log)
    assert not_one.returncode == 2 and "is a market.Bar, not a breaker change" in not_one.stderr


def test_ingest_signs_checkpoints_every_n_events_and_the_log_verifies(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path), MEMESNIPE_CHECKPOINT_EVERY_EVENTS="100")
    done = run("ingest", "synthetic", "--bars", "250", "--batch-size", "50", env=env)
    assert done.returncode == 0, done.stderr
    assert "checkpoints signed: 2, the last at id 201" in done.stdout
    with sqlite3.connect(tmp_path / "ledger.sqlite") as conn:
        count = conn.execute("SELECT count(*) FROM stored_events WHERE topic = 'audit.Checkpoint.Signed'")
        assert count.fetchone()[0] == 2
    verified = run("audit", "verify", env=env)
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_a_bad_checkpoint_interval_is_named(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path), MEMESNIPE_CHECKPOINT_EVERY_SECONDS="soon")
    done = run("log", "summary", env=env)
    assert (
        done.returncode == 2
        and "MEMESNIPE_CHECKPOINT_EVERY_SECONDS" in done.stderr
        and "'soon'" in done.stderr
    )


def test_checkpoint_rounds_sign_a_run_log_when_due_and_replay_still_verifies(tmp_path: Path) -> None:
    log = backtest(tmp_path, "--size", "1", "--cash", "1000")
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path / "d"))
    rounds = run(
        "audit",
        "checkpoint",
        "--log",
        log,
        "--every-events",
        "50",
        "--rounds",
        "2",
        "--poll-seconds",
        "0",
        env=env,
    )
    assert rounds.returncode == 0, rounds.stderr
    assert (
        rounds.stdout.count("signed the chain head") == 1
        and "checkpoints signed: 1 in 2 rounds" in rounds.stdout
    )
    not_due = run("audit", "checkpoint", "--log", log, "--every-events", "50", env=env)
    assert not_due.returncode == 0 and "not due: 0 events" in not_due.stdout
    verified = run("replay", "verify", "--log", log)
    assert verified.returncode == 0 and "identical" in verified.stdout


def test_checkpoint_watch_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    assert run("ingest", "synthetic", "--bars", "20", env=env).returncode == 0
    watcher = subprocess.Popen(
        [MEMESNIPE, "audit", "checkpoint", "--watch", "--every-events", "10", "--poll-seconds", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert watcher.stdout is not None
        banner, first = watcher.stdout.readline(), watcher.stdout.readline()
        assert "until Ctrl-C" in banner and "signed the chain head at notification id 21" in first
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    assert watcher.returncode == 0, err
    assert "stopped (Ctrl-C)" in out and "checkpoints signed: 1" in out and "Traceback" not in err
