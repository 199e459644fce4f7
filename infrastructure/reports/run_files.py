"""A backtest run's directory and the files beside its log: the manifest and the reports.

A run directory is named after its session, so the same run twice gets a second, numbered one.
``manifest.json`` records what makes the run reproducible; ``report.json`` and ``report.html``
what it showed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from application.backtest import BacktestReport
from domain.events import SessionStarted
from infrastructure.errors import ConfigError
from infrastructure.reports.html import write_html
from infrastructure.reports.prices import Closes


def new_run_dir(runs: Path, session: SessionStarted) -> Path:
    """A fresh directory for this run: the session id, numbered if run before."""
    base = session.originator_id.hex[:12]
    for number in range(1, 10_000):
        candidate = runs / f"{base}-{number}"
        try:
            candidate.mkdir(parents=True)
        except FileExistsError:
            continue
        return candidate
    raise ConfigError(f"too many runs of session {base} in {runs}")


def manifest(report: BacktestReport) -> dict[str, Any]:
    """What makes the run reproducible: inputs (with digest), configuration, code version."""
    encoder = msgspec.json.Encoder(decimal_format="string")
    session = json.loads(encoder.encode(report.session))
    return {
        "inputs": report.inputs,
        "config": session,
        "code_version": report.session.code_version,
        "digest": report.digest,
        "decisions": report.decisions,
    }


def write_manifest(run_dir: Path, report: BacktestReport) -> Path:
    """Write ``manifest.json`` into the run directory, once its log is complete (a run directory
    without one is a run that did not finish)."""
    path = run_dir / "manifest.json"
    path.write_text(json.dumps(manifest(report), indent=2))
    return path


def write_reports(
    report: BacktestReport,
    run_dir: Path,
    json_copy: Path | None = None,
    html_copy: Path | None = None,
    closes: Closes | None = None,
) -> tuple[Path, Path]:
    """The JSON and HTML reports into the run directory, and also where asked (the HTML's price
    chart from ``closes``, the run's bars as its log holds them); the paths to show (the copy's
    where one was asked for)."""
    encoded = report.to_json()
    for path in {run_dir / "report.json", *([json_copy] if json_copy else [])}:
        path.write_bytes(encoded)
    document = report.to_dict()
    for path in {run_dir / "report.html", *([html_copy] if html_copy else [])}:
        write_html(document, path, closes)
    return json_copy or run_dir / "report.json", html_copy or run_dir / "report.html"
