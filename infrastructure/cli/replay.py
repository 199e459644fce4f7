"""``memesnipe replay verify``: prove a log's decisions are what its inputs produce."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from application.engine.replay import verify
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.cli.context import console, errors, reports_errors, settings_of
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec
from infrastructure.version import code_version

app = typer.Typer(help="Replay recorded inputs through the engine.")


@app.command("verify")
@reports_errors
def verify_command(
    ctx: typer.Context,
    log: Annotated[
        Path | None, typer.Option(help="A ledger file or run directory (default: the store).")
    ] = None,
) -> None:
    """Re-run the engine over the log's inputs; exit 1 at the first decision that differs."""
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    columns = [SpinnerColumn(), TextColumn("replaying {task.completed:,} inputs"), TimeElapsedColumn()]
    with (
        bulk_work_gc(),
        open_ledger(settings) as store,
        Progress(*columns, console=console, transient=True) as bar,
    ):
        task = bar.add_task("replay")
        result = verify(store.log, EventCodec(), on_progress=lambda n: bar.update(task, completed=n))
    console.print(f"{result.inputs:,} inputs, {result.decisions:,} recorded decisions")
    console.print(f"recorded by {result.recorded_by}; replayed by {code_version()}", highlight=False)
    console.print(f"recorded digest {result.recorded_digest}")
    console.print(f"replayed digest {result.replayed_digest}")
    if result.identical:
        console.print("[bold green]identical[/]: every decision reproduced byte for byte")
        return
    divergence = result.divergence
    if divergence is not None:
        errors.print(
            f"[bold red]diverged[/] at decision #{divergence.decision_index} "
            f"(notification id {divergence.notification_id}):",
            highlight=False,
        )
        errors.print(f"  recorded: {divergence.recorded}", highlight=False)
        errors.print(f"  replayed: {divergence.replayed}", highlight=False)
    raise typer.Exit(1)
