"""``memesnipe audit replay --from T1 --to T2``: were the decisions recorded in a window the engine's?"""

from __future__ import annotations

from typing import Annotated

import typer

from application.audit.replay_window import replay_window
from domain.errors import InvalidMarketData
from domain.market.values import format_timestamp, parse_timestamp
from infrastructure.bootstrap import open_ledger
from infrastructure.cli.context import LogOption, chosen_settings, console, errors, reports_errors
from infrastructure.errors import ConfigError
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec
from infrastructure.version import code_version

TimeHelp = "ISO-8601 (UTC if no offset) or epoch seconds/ms/us/ns."


def _moment(option: str, text: str) -> int:
    try:
        return parse_timestamp(text)
    except InvalidMarketData as e:
        raise ConfigError(f"{option}: {e.message}") from None


@reports_errors
def replay(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help=f"Start of the window. {TimeHelp}")],
    to: Annotated[str, typer.Option("--to", help=f"End of the window (inclusive). {TimeHelp}")],
    log: LogOption = None,
) -> None:
    """Re-run the engine over a window of the log, from its state at --from; exit 1 at a differing decision.

    The state at --from is rebuilt by replaying the inputs before it; then every decision the
    engine makes on the window's inputs is compared with the recorded one, byte for byte."""
    from_ns, to_ns = _moment("--from", from_), _moment("--to", to)
    if to_ns < from_ns:
        raise ConfigError(f"--to ({to}) is before --from ({from_})")
    settings = chosen_settings(ctx, log)
    with bulk_work_gc(), open_ledger(settings) as store:
        result = replay_window(store.log, EventCodec(), from_ns, to_ns)
    window = f"{format_timestamp(from_ns)} .. {format_timestamp(to_ns)}"
    console.print(f"window {window}", highlight=False)
    console.print(
        f"state at its start: {result.state_inputs:,} inputs before the window replayed "
        f"(up to notification id {result.state_upto:,})",
        highlight=False,
    )
    divergence = result.divergence
    if result.first_id is None and divergence is None:
        raise ConfigError(f"the log holds no input stamped in the window {window}")
    console.print(
        f"compared in the window: {result.inputs:,} inputs, {result.decisions:,} recorded decisions "
        f"(notification ids {result.first_id or 0:,} to {result.last_id or 0:,})",
        highlight=False,
    )
    console.print(f"recorded by {result.recorded_by}; replayed by {code_version()}", highlight=False)
    console.print(f"window decision digest {result.recorded_digest}", highlight=False)
    if result.identical:
        console.print("[bold green]identical[/]: every decision in the window reproduced byte for byte")
        return
    console.print(f"replayed decision digest {result.replayed_digest}", highlight=False)
    if divergence is not None:
        errors.print(
            f"[bold red]diverged[/] at decision #{divergence.decision_index} of the window "
            f"(notification id {divergence.notification_id}, {divergence.topic or 'end of log'}):",
            highlight=False,
        )
        errors.print(f"    recorded: {divergence.recorded}", highlight=False)
        errors.print(f"  recomputed: {divergence.replayed}", highlight=False)
    raise typer.Exit(1)
