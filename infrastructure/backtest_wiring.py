"""The composition root of a backtest: its inputs, its run directory, its log's writer process,
checkpoints, the manifest and the reports, built from the settings and one request.

``memesnipe backtest`` and ``memesnipe demo`` parse, call ``backtest_in_run_dir`` and print; the
benchmarks call it too, so what they time is what a user runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from application.backtest import BacktestConfig, BacktestReport, BarsFromLog, BarsFromRows, run_backtest
from domain.events import SessionStarted
from infrastructure.audit.periodic import checkpointing
from infrastructure.bootstrap import log_file_settings, migrate, open_ledger, run_settings
from infrastructure.config import Settings
from infrastructure.errors import StoreError
from infrastructure.feeds.csv_source import csv_source
from infrastructure.reports.prices import closes_from_log
from infrastructure.reports.run_files import new_run_dir, write_manifest, write_reports
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_writer import SQLiteWriterProcess
from infrastructure.venues.simulated import SimulatedVenue
from infrastructure.version import code_version


@dataclass(frozen=True)
class CsvBars:
    """Bars from a CSV file."""

    path: Path


@dataclass(frozen=True)
class LogBars:
    """Bars from an existing ledger file, or a run directory's."""

    path: Path


@dataclass(frozen=True)
class StoreBars:
    """Bars from the configured store."""


BarsInput = CsvBars | LogBars | StoreBars


@dataclass(frozen=True)
class ReportFiles:
    """Copies of the reports to write besides the run directory's ``report.json`` and ``report.html``."""

    json: Path | None = None
    html: Path | None = None


@dataclass(frozen=True)
class BacktestRequest:
    """One backtest: what to run, over which bars, and which report files to write (None: none,
    for a caller that times the run alone)."""

    config: BacktestConfig
    bars: BarsInput
    reports: ReportFiles | None = ReportFiles()


@dataclass(frozen=True)
class BacktestRun:
    """A finished backtest: its report, its run directory, and where its reports were written
    (the copies asked for, else the run directory's; None when none were asked for)."""

    report: BacktestReport
    run_dir: Path
    json_report: Path | None
    html_report: Path | None


def backtest_in_run_dir(
    settings: Settings, request: BacktestRequest, on_progress: Callable[[int], None] | None = None
) -> BacktestRun:
    """Run the backtest into a new run directory under the data directory: its log, then its
    manifest, then its reports. ``on_progress`` hears how many bars are done, now and then."""
    report = _run(settings, request.config, request.bars, on_progress)
    run_dir = Path(report.log).parent
    write_manifest(run_dir, report)
    if request.reports is None:
        return BacktestRun(report, run_dir, None, None)
    with open_ledger(log_file_settings(run_dir / "ledger.sqlite")) as run_log:
        closes = closes_from_log(run_log.log, EventCodec(), report.config.symbol)
    json_report, html_report = write_reports(
        report, run_dir, request.reports.json, request.reports.html, closes
    )
    return BacktestRun(report, run_dir, json_report, html_report)


def check_copies(writer: SQLiteWriterProcess, bars: BarsFromLog) -> None:
    """The bars the writer copied from the source are the bars the engine read (same bytes, same
    order): else the source changed under the run, and the run's log is not what the engine saw."""
    writer.flush()
    read = (bars.hash.hexdigest(), bars.count)
    if writer.copied != read and not (writer.copied is None and bars.count == 0):
        raise StoreError(
            f"the source log changed during the run: the engine read {read[1]:,} bars (sha256 "
            f"{read[0][:16]}...), the run's log copied {writer.copied}; rerun the backtest"
        )


def _run(
    settings: Settings,
    config: BacktestConfig,
    bars: BarsInput,
    on_progress: Callable[[int], None] | None,
) -> BacktestReport:
    """The run's log and report.

    The run's log is written by a second process (both cores work); the engine's
    process reads the inputs, decides, and builds the report. The log is a bulk load into a new
    file only that process opens until it is done (no WAL meanwhile: ``sqlite_writer``; batches
    inserted and linked in C where built: ``bulk_loader``); its stream key is built before the
    load where the C loader runs, else once the session is in it, while the report is built
    (``stream_key``). Bars from a SQLite log are copied into it by that process from the source
    file itself (``source_copies``), the engine reading them as columns where it can
    (``BarPage``). Checkpoints are signed between its commits as the settings' periodic policy
    asks (with the settings' key).
    """
    codec = EventCodec()
    version = code_version()
    source_name = (
        str(bars.path) if isinstance(bars, CsvBars | LogBars) else f"store {settings.describe_store()}"
    )
    source_settings = log_file_settings(bars.path) if isinstance(bars, LogBars) else settings
    from_sqlite = not isinstance(bars, CsvBars) and source_settings.store == "sqlite"
    copied_from = str(source_settings.sqlite_path) if from_sqlite else None
    session = config.session(source_name, version)
    run_dir = new_run_dir(settings.data_dir / "runs", session)
    run_log_settings = run_settings(run_dir)
    run_path = run_log_settings.sqlite_path
    migrate(run_log_settings, bulk_load=True)  # the new file's tables; nothing keeps it open
    with bulk_work_gc():
        # Checkpoints go through the writer too (the run log's only connection until it is done),
        # each signed before the next batch rather than right after the one that made it due
        # (see ``CheckpointingLog``).
        writer = SQLiteWriterProcess(str(run_path), None, codec=codec, source=copied_from)
        run_log = checkpointing(writer, settings, deferred=True)
        build_key = writer.build_stream_key  # a bulk load: the key is built after the session

        def run_on(inputs: BarsFromRows | BarsFromLog) -> BacktestReport:
            return run_backtest(
                run_log, codec, config, inputs, source_name, version, _venue, on_progress, build_key
            )

        try:
            read: BarsFromLog | None = None
            if isinstance(bars, CsvBars):
                result = run_on(BarsFromRows(csv_source(bars.path, "bar"), config.venue, config.symbol))
            else:
                with open_ledger(source_settings) as source:
                    read = BarsFromLog(
                        source.log,
                        codec,
                        config.symbol,
                        source_name,
                        by_reference=copied_from is not None,
                    )
                    result = run_on(read)
            result.log = str(run_path)
            result.to_json()  # the document, while the writer builds the key and commits the last batches
            run_log.finish()
            if copied_from is not None and read is not None:
                check_copies(writer, read)
        finally:
            writer.close()
    return result


def _venue(session: SessionStarted) -> SimulatedVenue:
    # The simulated venue the session names, with its fees and slippage.
    return SimulatedVenue(session.venue, session.originator_id, session.fee_rate, session.slippage_bps)
