"""The backtest's composition root: a request in, a run directory out (log, manifest, reports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.events import Bar
from infrastructure.backtest_wiring import (
    BacktestRequest,
    CsvBars,
    LogBars,
    ReportFiles,
    backtest_in_run_dir,
)
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.config import Settings, load_settings
from infrastructure.errors import ConfigError
from tests.e2e.test_cli import BARS_CSV
from tests.engine_helpers import config


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({}, store="sqlite", data_dir=tmp_path / "data")


@pytest.fixture
def bars(tmp_path: Path) -> CsvBars:
    path = tmp_path / "bars.csv"
    path.write_text(BARS_CSV)
    return CsvBars(path)


def test_a_request_gets_a_new_run_directory_with_its_log_manifest_and_reports(
    settings: Settings, bars: CsvBars, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.json"
    run = backtest_in_run_dir(settings, BacktestRequest(config(), bars, ReportFiles(json=copy)))
    assert run.run_dir.parent == settings.data_dir / "runs"
    side_files = {"ledger.sqlite-wal", "ledger.sqlite-shm"}  # SQLite's, left by the report's read-only read
    assert {p.name for p in run.run_dir.iterdir()} - side_files == {
        "ledger.sqlite",
        "manifest.json",
        "report.json",
        "report.html",
    }
    assert run.report.log == str(run.run_dir / "ledger.sqlite")
    assert (run.json_report, run.html_report) == (copy, run.run_dir / "report.html")
    assert copy.read_bytes() == (run.run_dir / "report.json").read_bytes() == run.report.to_json()
    manifest = json.loads((run.run_dir / "manifest.json").read_text())
    assert manifest["digest"] == run.report.digest and manifest["decisions"] == run.report.decisions


def test_without_report_files_the_run_keeps_its_log_and_manifest_and_a_rerun_gets_its_own_directory(
    settings: Settings, bars: CsvBars
) -> None:
    first = backtest_in_run_dir(settings, BacktestRequest(config(), bars))
    again = backtest_in_run_dir(settings, BacktestRequest(config(), bars, reports=None))
    assert {p.name for p in again.run_dir.iterdir()} == {"ledger.sqlite", "manifest.json"}
    assert (again.json_report, again.html_report) == (None, None)
    assert again.run_dir.name == first.run_dir.name[:-1] + "2"
    assert again.report.digest == first.report.digest


def test_bars_from_another_run_log_are_copied_into_the_new_one(settings: Settings, bars: CsvBars) -> None:
    first = backtest_in_run_dir(settings, BacktestRequest(config(), bars, reports=None))
    second = backtest_in_run_dir(settings, BacktestRequest(config(), LogBars(first.run_dir), reports=None))
    logs = []
    for run in (first, second):
        with open_ledger(log_file_settings(run.run_dir)) as store:
            logs.append([r.state for page in store.log.read_stored() for r in page if r.topic == Bar.TOPIC])
    assert len(logs[0]) == 60 and logs[1] == logs[0]
    assert second.report.stats["trades"] == first.report.stats["trades"]


def test_a_log_that_is_not_there_is_refused_before_a_run_directory_is_made(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="no ledger file"):
        backtest_in_run_dir(settings, BacktestRequest(config(), LogBars(tmp_path / "nowhere")))
    assert not (settings.data_dir / "runs").exists()
