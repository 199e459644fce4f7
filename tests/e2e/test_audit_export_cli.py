"""``memesnipe audit export`` as an operator runs it, and the export checked as an auditor would:
with tools/verify_export.py under the system Python, isolated from every installed package.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infrastructure.config import Settings
from tests.e2e.test_cli import BARS_CSV, clean_env, pg_env, run
from tests.verifier import SCRIPT

SYSTEM_PYTHON = (
    "/usr/bin/python3" if Path("/usr/bin/python3").exists() else shutil.which("python3") or "python3"
)


def audit_check(export: Path, *options: str, python: str = SYSTEM_PYTHON) -> subprocess.CompletedProcess[str]:
    """The verifier as an auditor runs it: -I -S, so no site-packages and no project on the path."""
    isolation = ["-I", "-S"] if python == SYSTEM_PYTHON else []
    return subprocess.run(
        [python, *isolation, str(SCRIPT), str(export), *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=export.parent,
    )


def signed_key(output: str) -> str:
    found = re.search(r"public key\s+([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def test_an_export_verifies_under_the_system_python_and_a_changed_row_fails(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path / "d"))
    assert run("ingest", "synthetic", "--bars", "100", env=env).returncode == 0
    out = tmp_path / "history.jsonl"
    done = run("audit", "export", "--format", "jsonl", "--out", str(out), "--sign", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "history.jsonl.manifest.json").read_text())["rows"]
    assert rows >= 102 and f"exported {rows} events" in done.stdout  # bars, import marker, checkpoint(s)
    key = signed_key(done.stdout)

    checked = audit_check(out, "--public-key", key)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        checked.stdout.startswith(f"VERIFIED: {rows} rows")
        and "from the first event of the log" in checked.stdout
    )

    lines = out.read_text().splitlines()
    row = json.loads(lines[9])
    row["event"]["close"] = "1000000"
    out.write_text("\n".join([*lines[:9], json.dumps(row), *lines[10:]]) + "\n")
    failed = audit_check(out, "--public-key", key)
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED")
    assert f"notification id {row['notification_id']}: its readable event fields" in failed.stdout


def test_a_filtered_csv_export_of_a_backtest_verifies_and_says_what_it_cannot_prove(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    args = ["--data-dir", str(tmp_path), "backtest", "--data", str(data), "--symbol", "TEST/USD"]
    args += ["--param", "fast=2", "--param", "slow=3", "--size", "1", "--cash", "1000"]
    done = run(*args, "--report", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    log = json.loads((tmp_path / "r.json").read_text())["log"]
    out = tmp_path / "orders.csv"
    exported = run(
        "--data-dir", str(tmp_path), "audit", "export", "--log", log, "--format", "csv", "--out", str(out),
        "--strategy", "sma_cross:TEST/USD", "--type", "oms.*", "--type", "venue.Order.Filled", "--sign",
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    checked = audit_check(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "filtered" in checked.stdout and "cannot show that no matching event is missing" in checked.stdout
    assert "consistent with their own links only" in checked.stdout

    text = out.read_text()
    price = re.search(r'""price"":""([0-9.]+)""', text)
    assert price, text[:500]
    out.write_text(text.replace(f'""price"":""{price.group(1)}""', '""price"":""0.01""', 1))
    failed = audit_check(out)
    assert failed.returncode == 1 and "readable event fields" in failed.stdout


def test_parquet_rows_need_pyarrow_and_the_system_python_says_so(tmp_path: Path) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path / "d"))
    assert run("ingest", "synthetic", "--bars", "50", env=env).returncode == 0
    out = tmp_path / "history.parquet"
    done = run("audit", "export", "--format", "parquet", "--out", str(out), "--sign", env=env)
    assert done.returncode == 0, done.stderr
    bare = audit_check(out)
    assert bare.returncode == 3 and "NOT VERIFIED: the SHA-256 matches" in bare.stdout
    with_pyarrow = audit_check(out, python=sys.executable)
    rows = json.loads((tmp_path / "history.parquet.manifest.json").read_text())["rows"]
    assert with_pyarrow.returncode == 0 and with_pyarrow.stdout.startswith(f"VERIFIED: {rows} rows")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "xml"], "--format must be one of jsonl, csv, parquet"),
        (["--from", "yesterday"], "--from: "),
        (["--from", "2024-01-02", "--to", "2024-01-01"], "--from must be before --to"),
        (["--type", "market.Nope"], "--type: no event topic 'market.Nope'"),
        (["--symbol", "not a symbol"], "--symbol: "),
    ],
)
def test_bad_export_options_get_one_clear_line(tmp_path: Path, options: list[str], message: str) -> None:
    env = clean_env(MEMESNIPE_DATA_DIR=str(tmp_path))
    done = run("audit", "export", "--out", str(tmp_path / "x.jsonl"), *options, env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_the_memory_store_has_no_chain_to_export(tmp_path: Path) -> None:
    done = run("--store", "memory", "audit", "export", "--out", str(tmp_path / "x.jsonl"))
    assert done.returncode == 2 and "keeps no hash chain" in done.stderr


def test_a_postgres_export_verifies_under_the_system_python(pg_settings: Settings, tmp_path: Path) -> None:
    env = pg_env(pg_settings)
    assert run("db", "migrate", env=env).returncode == 0
    env["MEMESNIPE_DATA_DIR"] = str(tmp_path)
    assert run("ingest", "synthetic", "--bars", "60", env=env).returncode == 0
    out = tmp_path / "pg.jsonl"
    done = run("audit", "export", "--out", str(out), "--sign", "--symbol", "MEME/USD", env=env)
    assert done.returncode == 0, done.stderr
    checked = audit_check(out, "--public-key", signed_key(done.stdout))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("VERIFIED: 61 rows")  # the bars and their import marker
    password = pg_settings.postgres.password.reveal()
    assert not password or password not in done.stdout + done.stderr
