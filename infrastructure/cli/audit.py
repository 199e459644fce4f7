"""``memesnipe audit verify``: prove the log untouched, or say exactly where it was."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from application.audit.verify_chain import verify_chain
from application.ports import AuditTrail
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.cli.context import console, errors, reports_errors, settings_of
from infrastructure.errors import ConfigError

app = typer.Typer(help="Audit: the tamper-evident hash chain.")


@app.command("verify")
@reports_errors
def verify(
    ctx: typer.Context,
    log: Annotated[
        Path | None, typer.Option(help="A ledger file or run directory (default: the store).")
    ] = None,
) -> None:
    """Recompute the hash chain over every stored event; exit 1 on any modified, deleted,
    inserted or reordered event."""
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        if not hasattr(store.log, "chain_links"):
            raise ConfigError(f"{settings.describe_store()} keeps no hash chain (the memory store)")
        trail: AuditTrail = store.log  # type: ignore[assignment]
        report = verify_chain(trail)
    console.print(
        f"{report.events:,} events, {report.links:,} chain links; head at notification id "
        f"{report.head_id:,}: {report.head.hex()}",
        highlight=False,
    )
    if report.intact:
        console.print("[bold green]intact[/]: every stored event matches the chain")
        return
    for finding in report.findings[:50]:
        errors.print(
            f"  {finding.kind} at notification id {finding.notification_id}: {finding.detail}",
            highlight=False,
        )
    if len(report.findings) > 50:
        errors.print(f"  ... and {len(report.findings) - 50} more", highlight=False)
    raise typer.Exit(1)
