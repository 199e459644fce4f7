"""The ``memesnipe`` entry point: global options, sub-commands and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from application.log_summary import summarise
from infrastructure.bootstrap import open_ledger
from infrastructure.cli import db, ingest, log
from infrastructure.cli.context import console, reports_errors, settings_of
from infrastructure.config import load_settings
from infrastructure.feeds.synthetic import SyntheticMarket

app = typer.Typer(
    name="memesnipe",
    help="MemeSnipe: an event-sourced, deterministic crypto trading ledger and engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest.app, name="ingest")
app.add_typer(db.app, name="db")
app.add_typer(log.app, name="log")


@app.callback()
@reports_errors
def main(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="Where the embedded store lives [env: MEMESNIPE_DATA_DIR].")] = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="memory, sqlite or postgres [env: MEMESNIPE_STORE].")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="TOML config file [env: MEMESNIPE_CONFIG].")] = None,
) -> None:
    """Settings come from these options, then the environment, then the config file."""
    ctx.obj = load_settings(config_file=config, store=store, data_dir=data_dir)


@app.command("demo")
@reports_errors
def demo(
    ctx: typer.Context,
    bars: Annotated[int, typer.Option(min=1, help="Synthetic bars to generate.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """The main job for a new user: generate a synthetic market into the log and summarise it."""
    settings = settings_of(ctx)
    console.print(f"[bold]MemeSnipe demo[/]: store {settings.describe_store()}")
    market = SyntheticMarket(bars=bars, seed=seed)
    ingest.run_ingest(settings, "bar", market.source(), "synthetic", "MEME/USD", 5_000, total=bars)
    with open_ledger(settings) as store:
        log.print_summary(summarise(store.log), settings)


def run() -> None:
    """Console-script entry point."""
    app()
