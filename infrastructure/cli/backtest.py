"""``memesnipe backtest``: the engine over recorded bars, a report, and the run's own log.

This module parses the options and prints; ``infrastructure.backtest_wiring`` builds and runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from application.backtest import BacktestConfig, BacktestReport
from domain.ids import symbol as parse_symbol
from domain.ids import venue as parse_venue
from domain.risk.limits import InvalidLimits, RiskLimits
from infrastructure.backtest_wiring import (
    BacktestRequest,
    BacktestRun,
    BarsInput,
    CsvBars,
    LogBars,
    ReportFiles,
    StoreBars,
    backtest_in_run_dir,
)
from infrastructure.cli.context import console, settings_of
from infrastructure.errors import ConfigError


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
            help=(
                "full: limits and breakers (defaults in docs/architecture.md, 'Risk model'); "
                "basic: cash and position checks only."
            )
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
    bars: BarsInput = CsvBars(data) if data is not None else LogBars(log) if log is not None else StoreBars()
    with progress() as on_progress:
        run = backtest_in_run_dir(
            settings, BacktestRequest(config, bars, ReportFiles(report, html)), on_progress
        )
    print_run(run)


@contextmanager
def progress() -> Iterator[Callable[[int], None]]:
    """A spinner with the bars done so far while the run goes on; yields what to tell it."""
    columns = [SpinnerColumn(), TextColumn("backtesting {task.completed:,} bars"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("backtest")
        yield lambda done: bar.update(task, completed=done)


def print_run(run: BacktestRun) -> None:
    """The summary, then where the reports are."""
    print_summary(run.report)
    if run.json_report is not None:
        console.print(f"report: {run.json_report}", highlight=False, soft_wrap=True)
    if run.html_report is not None:
        console.print(f"html report: {run.html_report}", highlight=False, soft_wrap=True)
