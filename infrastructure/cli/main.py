"""The ``memesnipe`` entry point: global options, sub-commands and the demo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from application.backtest import BacktestConfig
from application.log_summary import summarise
from domain.ids import Symbol, Venue
from domain.risk.limits import RiskLimits
from infrastructure import pure_python
from infrastructure.backtest_wiring import BacktestRequest, StoreBars, backtest_in_run_dir
from infrastructure.bootstrap import open_ledger
from infrastructure.cli import audit, backtest, db, ingest, log, projections, replay, scenario, serve
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
app.add_typer(replay.app, name="replay")
app.add_typer(scenario.app, name="scenario")
app.add_typer(audit.app, name="audit")
app.add_typer(projections.app, name="projections")
app.add_typer(serve.keys_app, name="api-keys")
app.command("serve")(serve.serve)
app.command("backtest")(reports_errors(backtest.backtest))


@app.callback()
@reports_errors
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where the embedded store lives [env: MEMESNIPE_DATA_DIR]."),
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="memory, sqlite or postgres [env: MEMESNIPE_STORE].")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML config file [env: MEMESNIPE_CONFIG].")
    ] = None,
) -> None:
    """Settings come from these options, then the environment, then the config file."""
    pure_python.apply()  # MEMESNIPE_PURE_PYTHON: C modules left unused, for measuring them
    ctx.obj = load_settings(config_file=config, store=store, data_dir=data_dir)


@app.command("demo")
@reports_errors
def demo(
    ctx: typer.Context,
    bars: Annotated[int, typer.Option(min=1, help="Synthetic bars to generate.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """The main job for a new user: a synthetic market into the log, then a backtest of it."""
    settings = settings_of(ctx)
    console.print(f"[bold]MemeSnipe demo[/]: store {settings.describe_store()}")
    market = SyntheticMarket(bars=bars, seed=seed)
    ingest.run_ingest(settings, "bar", market.source(), "synthetic", "MEME/USD", 5_000, total=bars)
    with open_ledger(settings) as store:
        log.print_summary(summarise(store.log), settings)
    console.print(
        "\n[bold]backtest[/]: sma_cross 10/20, 4,000 MEME a trade, 26 bps fee (Kraken's taker rate), "
        "5 bps slippage, the full risk engine with default limits"
    )
    config = BacktestConfig(
        symbol=Symbol("MEME/USD"),
        venue=Venue("synthetic"),
        strategy="sma_cross",
        params=(("fast", "10"), ("size", "4000"), ("slow", "20")),
        cash=Decimal(10_000),
        fee_bps=Decimal(26),
        slippage_bps=Decimal(5),
        limits=RiskLimits(),
    )
    with backtest.progress() as on_progress:
        run = backtest_in_run_dir(settings, BacktestRequest(config, StoreBars()), on_progress)
    backtest.print_run(run)
    console.print(
        f"verify it: memesnipe replay verify --log {run.report.log}", highlight=False, soft_wrap=True
    )
    run_dir = run.run_dir
    console.print(
        f"see it live: memesnipe api-keys create --log {run_dir} --name me --role viewer, then "
        f"memesnipe serve --log {run_dir} and open http://127.0.0.1:8000/ with that key",
        highlight=False,
        soft_wrap=True,
    )


def run() -> None:
    """Console-script entry point."""
    app()
