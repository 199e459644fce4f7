"""``memesnipe backtest``: the engine over recorded bars, a report, and the run's own log."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from application.backtest import BacktestConfig, BacktestReport, BarsFromLog, BarsFromRows, run_backtest
from domain.events import SessionStarted
from domain.ids import symbol as parse_symbol
from domain.ids import venue as parse_venue
from domain.risk.limits import InvalidLimits, RiskLimits
from infrastructure.audit.periodic import checkpointing
from infrastructure.bootstrap import log_file_settings, migrate, open_ledger, run_settings
from infrastructure.cli.context import console, settings_of
from infrastructure.config import Settings
from infrastructure.errors import ConfigError, StoreError
from infrastructure.feeds.csv_source import csv_source
from infrastructure.reports.html import write_html
from infrastructure.reports.prices import closes_from_log
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_writer import SQLiteWriterProcess
from infrastructure.venues.simulated import SimulatedVenue
from infrastructure.version import code_version


def _decimal(name: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"--{name} must be a number, got {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ConfigError(f"--{name} must be a non-negative number, got {text!r}")
    return value


def _limits(risk: str, max_trade_pct: str | None, max_strategy_pct: str | None) -> RiskLimits | None:
    if risk not in ("full", "basic"):
        raise ConfigError(f"--risk must be full or basic, got {risk!r}")
    if risk == "basic":
        return None
    limits = RiskLimits()
    trade = _decimal("max-trade-pct", max_trade_pct)
    strategy = _decimal("max-strategy-exposure-pct", max_strategy_pct)
    if trade is not None:
        limits = msgspec.structs.replace(limits, max_trade_pct=trade)
    if strategy is not None:
        limits = msgspec.structs.replace(limits, max_strategy_exposure_pct=strategy)
    try:
        return limits.validated()
    except InvalidLimits as e:
        raise ConfigError(str(e)) from None


def _params(pairs: list[str], size: str | None) -> tuple[tuple[str, str], ...]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param takes name=value, got {pair!r}")
        params[key.strip()] = value.strip()
    if size is not None:
        params["size"] = size
    return tuple(sorted(params.items()))


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


def print_summary(report: BacktestReport) -> None:
    """The figures a trader looks at first."""
    stats = report.stats
    table = Table(
        title=f"{report.config.strategy} {dict(report.config.params)} on {report.config.symbol}",
        show_header=False,
    )
    for key in (
        "bars",
        "final_equity",
        "total_return_pct",
        "cagr_pct",
        "sharpe",
        "sortino",
        "probabilistic_sharpe",
        "max_drawdown_pct",
        "trades",
        "win_rate_pct",
        "profit_factor",
        "exposure_time_pct",
    ):
        table.add_row(key, str(stats.get(key)))
    table.add_row("open positions", str(len(report.open_positions)))
    refused = report.inputs.get("rejected") or {}
    if refused:  # input rows refused on the way in (recorded in the run's log with their reasons)
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in refused.items())
        table.add_row("input rows refused", f"{sum(refused.values()):,} ({reasons})")
    table.add_row("orders denied", ", ".join(f"{k} {v:,}" for k, v in report.denials.items()) or "none")
    console.print(table)
    for change in report.breakers:
        console.print(
            f"breaker {change['scope']}: {change['from']} -> {change['to']} at {change['time']}: "
            f"{change['reason']}",
            highlight=False,
        )
    console.print(f"digest: {report.digest}", highlight=False)
    console.print(f"log: {report.log}", highlight=False, soft_wrap=True)


def backtest(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option(help="Instrument, e.g. BTC/USD.")],
    data: Annotated[Path | None, typer.Option(help="Bars from a CSV file.")] = None,
    log: Annotated[
        Path | None, typer.Option(help="Bars from an existing ledger file or run directory.")
    ] = None,
    from_store: Annotated[bool, typer.Option(help="Bars from the configured store.")] = False,
    venue: Annotated[str, typer.Option(help="Venue name the bars belong to (CSV input).")] = "synthetic",
    strategy: Annotated[str, typer.Option(help="Strategy name.")] = "sma_cross",
    param: Annotated[list[str] | None, typer.Option(help="Strategy parameter name=value (repeat).")] = None,
    size: Annotated[str | None, typer.Option(help="Order size (the strategy's size parameter).")] = None,
    cash: Annotated[str, typer.Option(help="Starting cash.")] = "10000",
    fee_bps: Annotated[str, typer.Option(help="Fee in basis points of notional.")] = "0",
    slippage_bps: Annotated[str, typer.Option(help="Slippage in basis points against the order.")] = "0",
    close_at_end: Annotated[bool, typer.Option(help="Close open positions at the last close.")] = False,
    stop_loss_pct: Annotated[str | None, typer.Option(help="Stop loss, % below entry.")] = None,
    take_profit_pct: Annotated[str | None, typer.Option(help="Take profit, % above entry.")] = None,
    trailing_stop_pct: Annotated[str | None, typer.Option(help="Trailing stop, % below the high.")] = None,
    risk: Annotated[
        str,
        typer.Option(
            help="full: limits and breakers (defaults in DESIGN.md); basic: cash and position checks only."
        ),
    ] = "full",
    max_trade_pct: Annotated[str | None, typer.Option(help="Full risk: a trade's cap, % of equity.")] = None,
    max_strategy_exposure_pct: Annotated[
        str | None, typer.Option(help="Full risk: a strategy's exposure cap, % of equity.")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
) -> None:
    """Run a strategy over recorded bars with the simulated venue; write its log and report."""
    settings = settings_of(ctx)
    sources = [s for s in (data is not None, log is not None, from_store) if s]
    if len(sources) != 1:
        raise ConfigError("give exactly one of --data FILE.csv, --log PATH or --from-store")
    config = BacktestConfig(
        symbol=parse_symbol(symbol),
        venue=parse_venue(venue),
        strategy=strategy,
        params=_params(param or [], size),
        cash=_decimal("cash", cash) or Decimal(0),
        fee_bps=_decimal("fee-bps", fee_bps) or Decimal(0),
        slippage_bps=_decimal("slippage-bps", slippage_bps) or Decimal(0),
        close_at_end=close_at_end,
        stop_loss_pct=_decimal("stop-loss-pct", stop_loss_pct),
        take_profit_pct=_decimal("take-profit-pct", take_profit_pct),
        trailing_stop_pct=_decimal("trailing-stop-pct", trailing_stop_pct),
        limits=_limits(risk, max_trade_pct, max_strategy_exposure_pct),
    )
    if config.cash <= 0:
        raise ConfigError("--cash must be positive")
    result = execute(settings, config, data=data, log=log, from_store=from_store)
    print_summary(result)
    write_reports(result, report, html)


def write_reports(result: BacktestReport, report: Path | None = None, html: Path | None = None) -> None:
    """JSON and HTML reports into the run directory, and also where asked (the HTML's price chart
    from the closes in the run's log)."""
    document = result.to_dict()
    run_dir = Path(result.log).parent
    encoded = result.to_json()
    for path in {run_dir / "report.json", *([report] if report else [])}:
        path.write_bytes(encoded)
    with open_ledger(log_file_settings(Path(result.log))) as run_log:
        closes = closes_from_log(run_log.log, EventCodec(), result.config.symbol)
    for path in {run_dir / "report.html", *([html] if html else [])}:
        write_html(document, path, closes)
    console.print(f"report: {report or run_dir / 'report.json'}", highlight=False, soft_wrap=True)
    console.print(f"html report: {html or run_dir / 'report.html'}", highlight=False, soft_wrap=True)


def _check_copies(writer: SQLiteWriterProcess, bars: BarsFromLog) -> None:
    """The bars the writer copied from the source are the bars the engine read (same bytes, same
    order): else the source changed under the run, and the run's log is not what the engine saw."""
    writer.flush()
    read = (bars.hash.hexdigest(), bars.count)
    if writer.copied != read and not (writer.copied is None and bars.count == 0):
        raise StoreError(
            f"the source log changed during the run: the engine read {read[1]:,} bars (sha256 "
            f"{read[0][:16]}...), the run's log copied {writer.copied}; rerun the backtest"
        )


def execute(
    settings: Settings,
    config: BacktestConfig,
    *,
    data: Path | None = None,
    log: Path | None = None,
    from_store: bool = False,
) -> BacktestReport:
    """Run the backtest into a new run directory under the data directory; return the report.

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
    source_name = str(data or log or f"store {settings.describe_store()}")
    source_settings = log_file_settings(log) if log is not None else settings
    from_sqlite = data is None and source_settings.store == "sqlite"
    copied_from = str(source_settings.sqlite_path) if from_sqlite else None
    session = config.session(source_name, version)
    run_dir = new_run_dir(settings.data_dir / "runs", session)
    run_log_settings = run_settings(run_dir)
    run_path = run_log_settings.sqlite_path
    migrate(run_log_settings, bulk_load=True)  # the new file's tables; nothing keeps it open
    columns = [SpinnerColumn(), TextColumn("backtesting {task.completed:,} bars"), TimeElapsedColumn()]
    with (
        bulk_work_gc(),
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task("backtest")
        on_progress = lambda done: progress.update(task, completed=done)  # noqa: E731
        venue_factory = lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps)  # noqa: E731
        # Checkpoints go through the writer too (the run log's only connection until it is done),
        # each signed before the next batch rather than right after the one that made it due
        # (see ``CheckpointingLog``).
        writer = SQLiteWriterProcess(str(run_path), None, codec=codec, source=copied_from)
        run_log = checkpointing(writer, settings, deferred=True)
        build_key = writer.build_stream_key  # a bulk load: the key is built after the session

        def run_on(inputs: BarsFromRows | BarsFromLog) -> BacktestReport:
            return run_backtest(
                run_log, codec, config, inputs, source_name, version, venue_factory, on_progress, build_key
            )

        try:
            if data is not None:
                result = run_on(BarsFromRows(csv_source(data, "bar"), config.venue, config.symbol))
            else:
                with open_ledger(source_settings) as source:
                    bars = BarsFromLog(
                        source.log,
                        codec,
                        config.symbol,
                        source_name,
                        by_reference=copied_from is not None,
                        closes_only=copied_from is not None and config.limits is None,
                    )
                    result = run_on(bars)
            result.log = str(run_path)
            result.to_json()  # the document, while the writer builds the key and commits the last batches
            run_log.finish()
            if copied_from is not None:
                _check_copies(writer, bars)
        finally:
            writer.close()
    (run_dir / "manifest.json").write_text(json.dumps(manifest(result), indent=2))
    return result
