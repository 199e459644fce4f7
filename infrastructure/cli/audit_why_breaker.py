"""``memesnipe audit why-breaker NOTIFICATION_ID``: why a breaker moved, and what it then did.

Printed like ``audit why`` (one line per recorded event, or ``--json``): the limits in
force, the triggering input (and, for an execution breaker, the recent venue reports its
window judged), the change with its reason and measured values, the orders it denied,
the positions it flattened, and the change that ended it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from application.audit.breaker_causation import explain_breaker
from application.ports import RecordedEvent
from infrastructure.bootstrap import open_ledger
from infrastructure.cli.audit_common import (
    JsonOption,
    Step,
    print_steps,
    step_documents,
    write_json,
)
from infrastructure.cli.context import LogOption, chosen_settings, console, reports_errors
from infrastructure.errors import ConfigError


@reports_errors
def why_breaker(
    ctx: typer.Context,
    notification_id: Annotated[
        int,
        typer.Argument(
            min=1, help="The breaker change's notification id (log show --topic risk.Breaker.Changed)."
        ),
    ],
    log: LogOption = None,
    as_json: JsonOption = False,
) -> None:
    """The chain of why for one breaker change: limits, trigger, reason and numbers, denials, flattening."""
    settings = chosen_settings(ctx, log)
    with open_ledger(settings) as store:
        story = explain_breaker(store.log, notification_id)
    if story.topic is None:
        raise ConfigError(f"the log holds no event with notification id {notification_id}")
    if story.change is None:
        raise ConfigError(
            f"notification id {notification_id} is a {story.topic}, "
            "not a breaker change (risk.Breaker.Changed)"
        )
    steps: list[Step] = story.steps()
    limits, source = story.limits_in_force(), story.limits_from
    if as_json:
        write_json(
            {
                "breaker_change": notification_id,
                "limits_in_force": limits,
                "limits_from": _where(source),
                "steps": step_documents(steps),
            }
        )
        return
    shown = ", ".join(f"{k}={_text(v)}" for k, v in limits.items() if k != "version")
    origin = f" (from #{source.notification_id} {source.event.TOPIC})" if source is not None else ""
    console.print(
        f"[bold]{'limits':>13}[/] {limits.get('version', 'none')}{origin}: {shown}", highlight=False
    )
    if story.trigger is None:
        console.print(f"[bold]{'trigger':>13}[/] not found in the log (it names {_cause(story.change)})")
    print_steps(steps)
    if story.next_change is None:
        console.print(f"[bold]{'next change':>13}[/] none: the state lasted to the end of the log")


def _text(value: object) -> str:
    return "/".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _where(recorded: RecordedEvent | None) -> dict[str, object] | None:
    if recorded is None:
        return None
    return {"notification_id": recorded.notification_id, "topic": recorded.event.TOPIC}


def _cause(change: RecordedEvent) -> str:
    cause = getattr(change.event, "cause", None)
    return f"stream {cause.stream} version {cause.version}" if cause is not None else "no cause"
