"""``memesnipe audit ...``: prove the log untouched, or say exactly where it was; explain decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import msgspec
import typer

from application.audit.causation import explain_order
from application.audit.causation_indexed import explain_order_quickly
from application.audit.checkpoints import verify_against_anchor
from application.audit.state_at import risk_state_at
from application.audit.verify_chain import verify_chain
from domain.events import CheckpointSigned
from domain.market.values import format_timestamp, parse_timestamp
from infrastructure.audit.signing import signature_valid
from infrastructure.bootstrap import log_file_settings, open_ledger, open_read_models
from infrastructure.cli import audit_checkpoint, audit_export, audit_replay, audit_why_breaker
from infrastructure.cli.audit_common import print_steps, step_documents, trail_of, write_json
from infrastructure.cli.context import LogOption, console, errors, reports_errors, settings_of
from infrastructure.errors import ConfigError
from infrastructure.store.codec import EventCodec

app = typer.Typer(help="Audit: the tamper-evident hash chain and its signed checkpoints.")
app.command("export")(audit_export.export)
app.command("checkpoint")(audit_checkpoint.checkpoint)
app.command("replay")(audit_replay.replay)
app.command("why-breaker")(audit_why_breaker.why_breaker)


@app.command("chain")
@reports_errors
def chain(ctx: typer.Context, log: LogOption = None) -> None:
    """Link every event the hash chain does not cover yet (exactly once; safe to repeat)."""
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        added = trail_of(store.log, settings.describe_store()).extend_chain()
    console.print(f"chain extended by {added:,} links", highlight=False)


@app.command("verify")
@reports_errors
def verify(
    ctx: typer.Context,
    log: LogOption = None,
    from_anchor: Annotated[
        Path | None, typer.Option(help="An anchor written by `audit checkpoint --export`.")
    ] = None,
) -> None:
    """Recompute the hash chain over every stored event (and check it against an anchor);
    exit 1 on any modified, deleted, inserted or reordered event, or a rewritten history."""
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    anchor_problems: list[str] = []
    with open_ledger(settings) as store:
        trail = trail_of(store.log, settings.describe_store())
        if from_anchor is not None:
            report, anchor_problems = verify_against_anchor(trail, _read_anchor(from_anchor), signature_valid)
        else:
            report = verify_chain(trail)
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
    for problem in anchor_problems:
        errors.print(f"  anchor: {problem}", highlight=False)
    if report.intact and not anchor_problems:
        anchored = " and the anchor" if from_anchor is not None else ""
        console.print(f"[bold green]intact[/]: every chained event matches the chain{anchored}")
        return
    for finding in report.findings[:50]:
        errors.print(
            f"  {finding.kind} at notification id {finding.notification_id}: {finding.detail}",
            highlight=False,
        )
    if len(report.findings) > 50:
        errors.print(f"  ... and {len(report.findings) - 50} more", highlight=False)
    raise typer.Exit(1)


def _read_anchor(path: Path) -> CheckpointSigned:
    try:
        return msgspec.json.decode(path.read_bytes(), type=CheckpointSigned)
    except FileNotFoundError:
        raise ConfigError(f"no anchor file at {path}") from None
    except msgspec.DecodeError as e:
        raise ConfigError(
            f"{path} is not an anchor from `memesnipe audit checkpoint --export`: {e}"
        ) from None


@app.command("why")
@reports_errors
def why(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="The order's id (as in the log or the report).")],
    log: LogOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """The chain of why for one order: its input bars, signal, risk decision, submission, fills."""
    try:
        wanted = UUID(order_id)
    except ValueError:
        raise ConfigError(f"not an order id: {order_id!r}") from None
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        if settings.store == "memory":
            story = explain_order(store.log, wanted)
        else:  # key lookups when the views are current (`memesnipe projections run`), else a pass
            story = explain_order_quickly(store.log, open_read_models(settings), wanted)
    if not story.found:
        raise ConfigError(f"the log holds no decision about order {wanted}")
    steps = story.steps()
    if as_json:
        document = {
            "order_id": str(wanted),
            "steps": step_documents(steps),
            "position_after_fills": [
                {"notification_id": n, "position": str(p)} for n, p in story.position_after
            ],
        }
        write_json(document)
        return
    print_steps(steps)
    for notification_id, held in story.position_after:
        console.print(f"[bold]{'position':>13}[/] after fill #{notification_id}: {held}", highlight=False)


@app.command("state")
@reports_errors
def state(
    ctx: typer.Context,
    at: Annotated[str, typer.Option("--at", help="ISO-8601 time or epoch seconds/ms/ns.")],
    log: LogOption = None,
) -> None:
    """What the risk engine knew at a moment, rebuilt by replaying the session's log up to it."""
    at_ns = parse_timestamp(at)
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        view = risk_state_at(store.log, EventCodec(), at_ns)
    age = view.last_market_data_age_ns
    rows = [
        ("as of", format_timestamp(at_ns)),
        (
            "inputs replayed",
            f"{view.inputs_replayed:,} (up to notification id {view.last_notification_id:,})",
        ),
        ("cash", view.cash),
        ("equity", view.equity),
        ("high-water mark", view.high_water),
        ("drawdown %", view.drawdown_pct),
        ("daily loss %", view.daily_loss_pct),
        ("limits", view.limits_version),
        ("breakers", view.breakers),
        ("positions", view.positions),
        ("exposures", view.exposures),
        ("last market data age", f"{age / 1e9:.3f} s" if age is not None else "none yet"),
    ]
    for label, value in rows:
        console.print(f"[bold]{label:>22}[/] {value}", highlight=False)
