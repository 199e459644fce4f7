"""``memesnipe projections run|status|rebuild``: keep the read models current, inspect, rebuild."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from application.read_models.runner import BatchReport, ProjectionRunner
from infrastructure.bootstrap import open_ledger, open_read_models
from infrastructure.cli.context import LogOption, chosen_settings, console, reports_errors
from infrastructure.errors import ConfigError
from infrastructure.metrics import InstrumentedViews, Metrics, start_metrics_server
from infrastructure.read_models.background import BackgroundCommits
from infrastructure.read_models.follow import NotifyWaiter, PollingWaiter, follow
from infrastructure.read_models.writer_lock import writer_lock
from infrastructure.runtime import bulk_work_gc
from projections import ALL

app = typer.Typer(help="Read models: run the projections, show their lag, rebuild them from the log.")


@app.command("run")
@reports_errors
def run(
    ctx: typer.Context,
    log: LogOption = None,
    once: Annotated[bool, typer.Option(help="Catch up to the log's head, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="SQLite: seconds between polls.")] = 0.1,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port (no key: bind privately).")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port.")] = "127.0.0.1",
    export_views: Annotated[
        bool,
        typer.Option(
            help="Also export the views' numbers (equity, orders, breakers, lag) on --metrics-port, for a "
            "deployment without `memesnipe serve` (which exports them): scraped from both, every such "
            "series would be counted twice."
        ),
    ] = False,
) -> None:
    """Apply new events to every projection, exactly once, and keep following the log (Ctrl-C stops)."""
    settings = chosen_settings(ctx, log)
    if interval <= 0:
        raise ConfigError(f"--interval must be positive, got {interval}")
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise ConfigError(f"--metrics-port must be 1-65535, got {metrics_port}")
    views = open_read_models(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with writer_lock(settings), open_ledger(settings) as store:  # ViewsBusy if another runner writes
        metrics = Metrics()
        commits = BackgroundCommits(views)
        runner = ProjectionRunner(store.log, InstrumentedViews(commits, metrics))
        if metrics_port is not None:
            if export_views:
                metrics.watch_read_side(views, store.log.last_notification_id)
            start_metrics_server(metrics, metrics_port, metrics_host)

        def report(batch: BatchReport) -> None:
            if batch.events_read or once:
                console.print(
                    f"at notification id {batch.last_notification_id:,}: {batch.events_read:,} events, "
                    f"{batch.versions_written:,} row versions written",
                    highlight=False,
                )

        if once:
            with bulk_work_gc():
                follow(runner, PollingWaiter(interval), stop, report, rounds=1)
            commits.close()
            views.close()
            return
        waiter = (
            NotifyWaiter(settings.postgres.conninfo(), timeout=1.0)
            if settings.store == "postgres"
            else PollingWaiter(interval)
        )
        try:
            follow(runner, waiter, stop, report)
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            commits.close()
            waiter.close()
            views.close()


@app.command("status")
@reports_errors
def status(ctx: typer.Context, log: LogOption = None) -> None:
    """Each projection's position and lag behind the log."""
    settings = chosen_settings(ctx, log)
    views = open_read_models(settings)
    with open_ledger(settings) as store:
        head = store.log.last_notification_id()
    positions = views.positions()
    for projection in ALL:
        at = positions.get(projection.name, 0)
        console.print(f"{projection.name:>22} at {at:,} of {head:,} (lag {head - at:,})", highlight=False)


@app.command("rebuild")
@reports_errors
def rebuild(
    ctx: typer.Context,
    log: LogOption = None,
    only: Annotated[list[str] | None, typer.Option(help="Rebuild only these projections.")] = None,
) -> None:
    """Drop projections' rows and rebuild them from the log (the result equals the live views)."""
    settings = chosen_settings(ctx, log)
    known = {p.name: p for p in ALL}
    chosen = [known[name] for name in only] if only and set(only) <= set(known) else list(ALL)
    if only and not set(only) <= set(known):
        raise ConfigError(f"unknown projection(s) {sorted(set(only) - set(known))}; known: {sorted(known)}")
    views = open_read_models(settings)
    with writer_lock(settings), open_ledger(settings) as store:
        for projection in chosen:
            views.reset(projection.name, projection.tables)
        commits = BackgroundCommits(views)
        runner = ProjectionRunner(store.log, commits, chosen)
        try:
            with bulk_work_gc():
                batch = runner.run_once()
        finally:
            commits.close()
            views.close()
    console.print(
        f"rebuilt {', '.join(p.name for p in chosen)} up to notification id {batch.last_notification_id:,} "
        f"({batch.versions_written:,} row versions)",
        highlight=False,
    )
