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


def trail_of(store: object, where: str) -> AuditTrail:
    """The store's audit trail, or a clear error for a store without one."""
    if not hasattr(store, "chain_links"):
        raise ConfigError(f"{where} keeps no hash chain (the memory store)")
    return store  # type: ignore[return-value]


@app.command("chain")
@reports_errors
def chain(
    ctx: typer.Context,
    log: Annotated[
        Path | None, typer.Option(help="A ledger file or run directory (default: the store).")
    ] = None,
) -> None:
    """Link every event the hash chain does not cover yet (exactly once; safe to repeat)."""
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        added = trail_of(store.log, settings.describe_store()).extend_chain()
    console.print(f"chain extended by {added:,} links", highlight=False)


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
        report = verify_chain(trail_of(store.log, settings.describe_store()))
    console.print(
        f"{report.events:,} events, {report.links:,} chain links; head at notification id "
        f"{report.head_id:,}: {report.head.hex()}",
        highlight=False,
    )
    if report.unchained:
        console.print(
            f"{report.unchained:,} newer events are not chained yet: `memesnipe audit chain` links them",
            highlight=False,
        )
    if report.intact:
        console.print("[bold green]intact[/]: every chained event matches the chain")
        return
    for finding in report.findings[:50]:
        errors.print(
            f"  {finding.kind} at notification id {finding.notification_id}: {finding.detail}",
            highlight=False,
        )
    if len(report.findings) > 50:
        errors.print(f"  ... and {len(report.findings) - 50} more", highlight=False)
    raise typer.Exit(1)
