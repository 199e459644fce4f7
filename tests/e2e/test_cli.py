"""The ``memesnipe`` command as a user runs it: real process, real stores."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.config import Settings
from infrastructure.store.stream_key import has_stream_key
from tests.integration.test_ingest import MIXED

MEMESNIPE = str(Path(sys.executable).parent / "memesnipe")


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MEMESNIPE_", "POSTGRES_")) and k != "DATABASE_URL"
    }
    env.update({"XDG_CONFIG_HOME": "/nonexistent", "COLUMNS": "120", **extra})
    return env


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEMESNIPE, *args], capture_output=True, text=True, env=env or clean_env(), timeout=300, check=False
    )


def pg_env(settings: Settings) -> dict[str, str]:
    pg = settings.postgres
    return clean_env(
        POSTGRES_HOST=pg.host,
        POSTGRES_PORT=str(pg.port),
        POSTGRES_USER=pg.user,
        POSTGRES_PASSWORD=pg.password.reveal(),
        POSTGRES_DBNAME=pg.dbname,
        POSTGRES_SCHEMA=pg.schema,
        MEMESNIPE_STORE="postgres",
    )


def test_ingest_bars_prints_the_summary_and_keeps_good_rows(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(MIXED)
    done = run(
        "--data-dir",
        str(tmp_path / "d"),
        "ingest",
        "bars",
        str(data),
        "--symbol",
        "btc/usd",
        "--venue",
        "kraken",
    )
    assert done.returncode == 0, done.stderr
    assert "accepted" in done.stdout and "4" in done.stdout
    for reason in ("not_a_number", "high_below_low", "non_positive_price", "missing_field"):
        assert reason in done.stdout
    assert "last notification id │ 11" in " ".join(done.stdout.split())  # the writer process's last batch
    with sqlite3.connect(tmp_path / "d" / "ledger.sqlite") as conn:
        topics = dict(conn.execute("SELECT topic, count(*) FROM stored_events GROUP BY topic"))
        linked = conn.execute(
            "SELECT sum(length(links)) / 64, max(last_id) FROM stored_chain_blocks"
        ).fetchone()
    assert topics == {"market.Bar": 4, "market.Data.Rejected": 6, "market.Data.Imported": 1}
    assert linked == (11, 11)  # every event linked by the append that stored it


def test_a_file_with_nothing_valid_exits_non_zero_with_the_reasons(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("t,open,high,low,close,volume\n1,x,1,1,1,1\n")
    done = run(
        "--data-dir", str(tmp_path), "ingest", "bars", str(data), "--symbol", "A/B", "--venue", "kraken"
    )
    assert done.returncode == 1
    assert "no valid row" in done.stderr and "not_a_number: 1" in done.stderr


def test_a_bad_header_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("t,open,high,close,volume\n1,1,1,1,1\n")
    done = run(
        "--data-dir", str(tmp_path / "d"), "ingest", "bars", str(data), "--symbol", "A/B", "--venue", "kraken"
    )
    assert done.returncode == 2
    assert "no column for low" in done.stderr
    assert not (tmp_path / "d" / "ledger.sqlite").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--store", "sqlit", "log", "summary"), "store must be one of"),
        (("ingest", "bars", "x.csv", "--symbol", "BTCUSD", "--venue", "kraken"), "no such file"),
    ],
)
def test_mistakes_get_one_clear_line_not_a_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = run("--data-dir", str(tmp_path), *args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_the_data_dir_comes_from_the_environment_too(tmp_path: Path) -> None:
    done = run("ingest", "synthetic", "--bars", "50", env=clean_env(MEMESNIPE_DATA_DIR=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ledger.sqlite").exists()


def stored_bytes(path: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT topic, state FROM stored_events ORDER BY rowid"))


def test_synthetic_ingestion_is_the_same_byte_for_byte(tmp_path: Path) -> None:
    for name in ("a", "b"):
        done = run(
            "--data-dir",
            str(tmp_path / name),
            "ingest",
            "synthetic",
            "--bars",
            "3000",
            "--seed",
            "11",
            "--symbol",
            "MEME/USD",
        )
        assert done.returncode == 0, done.stderr
    a, b = stored_bytes(tmp_path / "a/ledger.sqlite"), stored_bytes(tmp_path / "b/ledger.sqlite")
    assert len(a) == 3001 and a == b


def test_demo_runs_then_finds_its_data_already_there(tmp_path: Path) -> None:
    first = run("--data-dir", str(tmp_path), "demo", "--bars", "2000")
    assert first.returncode == 0, first.stderr
    assert "2,000 accepted" in first.stdout and "market.Bar" in first.stdout
    second = run("--data-dir", str(tmp_path), "demo", "--bars", "2000")
    assert second.returncode == 0 and "already imported" in second.stdout


def test_log_show_prints_events_as_json_lines(tmp_path: Path) -> None:
    run("--data-dir", str(tmp_path), "ingest", "synthetic", "--bars", "5")
    done = run("--data-dir", str(tmp_path), "log", "show", "--limit", "2")
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2 and '"topic":"market.Bar"' in lines[0] and '"open":"0.05000000"' in lines[0]


def test_postgres_needs_migrate_then_ingests(pg_settings: Settings, tmp_path: Path) -> None:
    env = pg_env(pg_settings)
    # With trust auth any password is accepted: use one we can look for in the output.
    password = env["POSTGRES_PASSWORD"] = env["POSTGRES_PASSWORD"] or "hunter2-never-shown"
    status = run("db", "status", env=env)
    assert status.returncode == 1 and "run `memesnipe db migrate`" in status.stdout
    refused = run("ingest", "synthetic", "--bars", "10", env=env)
    assert refused.returncode == 3 and "memesnipe db migrate" in refused.stderr
    assert run("db", "migrate", env=env).returncode == 0
    assert "up to date" in run("db", "migrate", env=env).stdout
    done = run("ingest", "synthetic", "--bars", "1000", env=env)
    assert done.returncode == 0, done.stderr
    summary = run("log", "summary", env=env)
    assert "1,000" in summary.stdout and pg_settings.postgres.schema in summary.stdout
    everything = status.stdout + refused.stderr + done.stdout + summary.stdout
    assert password not in everything


BARS_CSV = "time,open,high,low,close,volume\n" + "".join(
    f"{1_700_000_000 + i * 60},{p},{p + 1},{p - 1},{p},5\n"
    for i, p in enumerate([10, 10, 10, 9, 8, 9, 11, 13, 12, 10, 8, 9] * 5)
)


def test_backtest_writes_report_html_and_a_log_that_replays_identically(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    args = [
        "--data-dir",
        str(tmp_path / "d"),
        "backtest",
        "--data",
        str(data),
        "--symbol",
        "TEST/USD",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=2",
        "--param",
        "slow=3",
        "--size",
        "1",
        "--cash",
        "1000",
    ]
    first = run(*args, "--report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"))
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report) >= {"trades", "equity", "stats", "digest", "log"}
    assert (
        len(report["equity"]["value"]) == len(report["equity"]["time_ms"]) == 60
        and report["stats"]["trades"] >= 4
    )
    assert {"entry_time", "entry_price", "exit_time", "exit_price", "size", "pnl"} <= set(report["trades"][0])
    html = (tmp_path / "r.html").read_text()
    assert html.count("data:image/png;base64,") == 4 and "http" not in html.split("<body>")[1][:200]
    [price_chart] = re.findall(r"<img alt='Price \(close\)[^>]*>", html)
    trips = report["trades"] + report["open_positions"]
    assert f"data-entries='{len(trips)}'" in price_chart and len(trips) >= 4
    assert f"data-exits='{sum(1 for t in trips if t['exit_time'])}'" in price_chart
    assert f"data-breakers='{len(report['breakers'])}'" in price_chart
    manifest = json.loads((Path(report["log"]).parent / "manifest.json").read_text())
    assert manifest["digest"] == report["digest"] and manifest["inputs"]["sha256"]
    with sqlite3.connect(report["log"]) as database:  # bulk-loaded, its stream key built at the end
        assert has_stream_key(database.cursor())

    second = run(*args, "--report", str(tmp_path / "r2.json"))
    assert second.returncode == 0, second.stderr
    again = json.loads((tmp_path / "r2.json").read_text())
    assert again["digest"] == report["digest"] and again["log"] != report["log"]

    verified = run("replay", "verify", "--log", report["log"])
    assert verified.returncode == 0, verified.stderr
    assert report["digest"] in verified.stdout and "identical" in verified.stdout
    audited = run("audit", "verify", "--log", report["log"])  # the writer process linked every batch
    assert audited.returncode == 0, audited.stderr
    events, links = re.search(r"([\d,]+) events, ([\d,]+) chain links", audited.stdout).groups()  # type: ignore[union-attr]
    assert events == links and "intact" in audited.stdout


def test_backtest_refuses_bad_parameters_before_recording(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    done = run(
        "--data-dir",
        str(tmp_path),
        "backtest",
        "--data",
        str(data),
        "--symbol",
        "T/USD",
        "--param",
        "fast=20",
        "--param",
        "slow=10",
        "--size",
        "1",
    )
    assert done.returncode == 2 and "fast (20) must be shorter than slow (10)" in done.stderr
    assert not (tmp_path / "runs").exists()
    both = run(
        "--data-dir", str(tmp_path), "backtest", "--data", str(data), "--from-store", "--symbol", "T/USD"
    )
    assert both.returncode == 2 and "exactly one of" in both.stderr


@pytest.mark.parametrize(
    ("kind", "header", "good", "bad", "reason"),
    [
        (
            "trades",
            "time,price,amount,side,id",
            "1700000000123,42000.5,0.01,buy,t1",
            "1700000000124,42000.5,0.01,sideways,t2",
            "bad_side",
        ),
        (
            "quotes",
            "time,bid,bid_size,ask,ask_size",
            "2023-11-14T22:13:20Z,99.5,3,100.5,2",
            "2023-11-14T22:13:21Z,101,3,100.5,2",
            "crossed_quote",
        ),
    ],
)
def test_trades_and_quotes_ingest_like_bars(
    tmp_path: Path, kind: str, header: str, good: str, bad: str, reason: str
) -> None:
    data = tmp_path / f"{kind}.csv"
    data.write_text(f"{header}\n{good}\n{bad}\n")
    done = run(
        "--data-dir", str(tmp_path), "ingest", kind, str(data), "--symbol", "BTC/USD", "--venue", "coinbase"
    )
    assert done.returncode == 0, done.stderr
    assert reason in done.stdout
    shown = run("--data-dir", str(tmp_path), "log", "show", "--limit", "5")
    topic = {"trades": "market.TradeTick", "quotes": "market.Quote"}[kind]
    assert f'"topic":"{topic}"' in shown.stdout and '"topic":"market.Data.Rejected"' in shown.stdout


def test_scenario_run_prints_trips_and_savings() -> None:
    done = run("scenario", "run", "flash_crash")
    assert done.returncode == 0, done.stderr
    assert "ACTIVE -> EMERGENCY" in done.stdout and "saved" in done.stdout
    listed = run("scenario", "list")
    assert all(name in listed.stdout for name in ("flash_crash", "slow_bleed", "stop_gap"))


def test_audit_checkpoint_export_and_verify_from_the_anchor(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path))
    assert run("ingest", "synthetic", "--bars", "100", env=env).returncode == 0
    nowhere = run("audit", "checkpoint", "--export", str(tmp_path / "no-such-folder" / "a.json"), env=env)
    assert nowhere.returncode == 2 and "does not exist" in nowhere.stderr
    assert "audit.Checkpoint.Signed" not in run("log", "summary", env=env).stdout  # refused before signing
    signed = run("audit", "checkpoint", "--export", str(tmp_path / "anchor.json"), env=env)
    assert "audit.Checkpoint.Signed" in run("log", "summary", env=env).stdout
    assert signed.returncode == 0, signed.stderr
    verified = run("audit", "verify", "--from-anchor", str(tmp_path / "anchor.json"), env=env)
    assert verified.returncode == 0 and "intact" in verified.stdout and "the anchor" in verified.stdout
    key = (tmp_path / "audit-signing-key.pem").read_text()
    assert key.split("\n")[1] not in signed.stdout + verified.stdout  # the private key never shows
    bad = run("audit", "verify", "--from-anchor", str(tmp_path / "nope.json"), env=env)
    assert bad.returncode == 2 and "no anchor file" in bad.stderr


def test_audit_why_tells_the_story_of_an_order(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    done = run(
        "--data-dir",
        str(tmp_path),
        "backtest",
        "--data",
        str(data),
        "--symbol",
        "TEST/USD",
        "--param",
        "fast=2",
        "--param",
        "slow=3",
        "--size",
        "1",
        "--cash",
        "1000",
        "--risk",
        "basic",
        "--report",
        str(tmp_path / "r.json"),
    )
    assert done.returncode == 0, done.stderr
    log = json.loads((tmp_path / "r.json").read_text())["log"]
    shown = run("--data-dir", str(Path(log).parent), "log", "show", "--topic", "oms.Order.Submitted")
    order_id = json.loads(shown.stdout.splitlines()[0])["event"]["order_id"]
    story = run("audit", "why", order_id, "--log", log, "--json")
    assert story.returncode == 0, story.stderr
    steps = [s["step"] for s in json.loads(story.stdout)["steps"]]
    assert steps[-5:] == ["signal", "risk decision", "submitted", "venue report", "venue report"]
    assert steps.count("input") == 4
    assert run("audit", "why", "not-an-id", "--log", log).returncode == 2


def test_backtest_summary_counts_refused_rows_and_log_show_finds_them_in_the_run_log(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV + "1700009000,1,2,0.5,abc,10\n1700009060,1,0.4,0.5,1,10\n")
    params = ["--param", "fast=2", "--param", "slow=3", "--size", "1"]
    done = run(
        "--data-dir", str(tmp_path / "d"), "backtest", "--data", str(data), "--symbol", "TEST/USD", *params
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"input rows refused\s*│\s*2 \(high_below_low 1, not_a_number 1\)", done.stdout)
    assert not re.search(r"max_drawdown_pct\s*│\s*-", done.stdout)
    run_dir = re.search(r"log: (\S+)/ledger\.sqlite", done.stdout).group(1)  # type: ignore[union-attr]
    refusals = run("log", "show", "--log", run_dir, "--topic", "market.Data.Rejected")
    assert [json.loads(line)["event"]["reason"] for line in refusals.stdout.splitlines()] == [
        "not_a_number",
        "high_below_low",
    ]
    summary = run("log", "summary", "--log", run_dir)
    assert re.search(r"market\.Bar\s*│\s*60\b", summary.stdout), summary.stdout
    typo = run("log", "show", "--log", run_dir, "--topic", "market.bar")
    assert typo.returncode == 2 and "unknown topic market.bar; topics:" in typo.stderr
