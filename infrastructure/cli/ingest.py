"""``memesnipe ingest bars|trades|quotes FILE`` and ``memesnipe ingest synthetic``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from application.errors import NothingValidToIngest
from application.ingest import IngestReport, IngestRequest, Source, ingest
from domain.events.market import DataKind
from domain.ids import symbol as parse_symbol
from domain.ids import venue as parse_venue
from domain.market.values import format_timestamp
from infrastructure.audit.periodic import checkpointing
from infrastructure.bootstrap import bulk_appender, last_appended, open_ledger
from infrastructure.cli.context import console, reports_errors, settings_of
from infrastructure.config import Settings
from infrastructure.feeds.csv_source import csv_source
from infrastructure.feeds.synthetic import SyntheticMarket

app = typer.Typer(help="Import market data into the log (validated; refusals are recorded).")

SymbolOption = Annotated[str, typer.Option("--symbol", help="Instrument, e.g. BTC/USD.")]
VenueOption = Annotated[str, typer.Option("--venue", help="Venue the data comes from.")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Events per transaction.")]


def run_ingest(
    settings: Settings,
    kind: DataKind,
    source: Source,
    venue: str,
    symbol: str,
    batch_size: int,
    total: int | None = None,
) -> IngestReport:
    """Ingest ``source`` with a progress bar and print the summary.

    Checkpoints are signed between batches as the settings' periodic policy asks.
    """
    request = IngestRequest(kind, parse_venue(venue), parse_symbol(symbol), batch_size)
    columns = [
        TextColumn("[bold]ingesting[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with (
        open_ledger(settings) as store,
        bulk_appender(store) as appender,
        Progress(*columns, console=console, transient=True) as bar,
    ):
        task = bar.add_task(source.name, total=total)
        log = checkpointing(appender, settings)
        try:
            report = ingest(log, request, source, lambda n: bar.update(task, completed=n))
        except NothingValidToIngest as nothing:
            if isinstance(nothing.report, IngestReport):
                nothing.report.last_notification_id = last_appended(
                    appender, nothing.report.last_notification_id
                )
                print_report(nothing.report, settings)
            raise
        report.last_notification_id = last_appended(appender, report.last_notification_id)
    print_report(report, settings)
    if log.signed:
        last = log.signed[-1].head_id
        console.print(f"checkpoints signed: {len(log.signed):,}, the last at id {last:,}", highlight=False)
    return report


def print_report(report: IngestReport, settings: Settings) -> None:
    """The summary a user reads after an import."""
    if report.already_imported:
        console.print(f"[yellow]{report.source} was already imported; nothing was added.[/]")
    table = Table(title=f"{report.source} -> {settings.describe_store()}", show_header=False)
    table.add_row("accepted", f"{report.accepted:,}")
    table.add_row("rejected", f"{report.rejected_total:,}")
    for reason, count in sorted(report.rejected.items()):
        table.add_row(f"  {reason}", f"{count:,}")
    if report.first_ts_event is not None and report.last_ts_event is not None:
        table.add_row("from", format_timestamp(report.first_ts_event))
        table.add_row("to", format_timestamp(report.last_ts_event))
    table.add_row("stream", str(report.stream_id))
    table.add_row("last notification id", f"{report.last_notification_id:,}")
    console.print(table)


def _file_command(kind: DataKind) -> None:
    @reports_errors
    def command(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="CSV export with a header row.")],
        symbol: SymbolOption,
        venue: VenueOption,
        batch_size: BatchOption = 5_000,
    ) -> None:
        report = run_ingest(settings_of(ctx), kind, csv_source(file, kind), venue, symbol, batch_size)
        if report.accepted == 0:
            raise typer.Exit(1)

    name = {"bar": "bars", "trade": "trades", "quote": "quotes"}[kind]
    command.__doc__ = f"Import {name} from a CSV file (first column: the timestamp)."
    app.command(name)(command)


for _kind in ("bar", "trade", "quote"):
    _file_command(_kind)


@app.command("synthetic")
@reports_errors
def synthetic(
    ctx: typer.Context,
    symbol: SymbolOption = "MEME/USD",
    venue: VenueOption = "synthetic",
    bars: Annotated[int, typer.Option(min=1, help="Number of bars.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same events.")] = 7,
    interval: Annotated[int, typer.Option(min=1, help="Seconds per bar.")] = 60,
    batch_size: BatchOption = 5_000,
) -> None:
    """Generate a seeded small-cap market (regimes, clustering, jumps, pump-and-dumps)."""
    market = SyntheticMarket(bars=bars, seed=seed, interval_s=interval)
    run_ingest(settings_of(ctx), "bar", market.source(), venue, symbol, batch_size, total=bars)
