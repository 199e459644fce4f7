"""What the audit commands share: the store's audit trail, and how a story prints.

Stories (``audit why``, ``audit why-breaker``) print the same way: one line per recorded
event, ``label #notification_id topic: field=value, ...``, or with ``--json`` one document
whose ``steps`` are ``{step, notification_id, topic, event}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
import typer

from application.ports import AuditTrail, RecordedEvent
from domain.events import Event
from infrastructure.cli.context import console
from infrastructure.errors import ConfigError

JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of text.")]

Step = tuple[str, RecordedEvent]
"""A labelled step of a story: what the event was to the story, and the event as recorded."""

_NOT_SHOWN = {"originator_id", "originator_version", "venue", "symbol", "ts_recv"}


def trail_of(store: object, where: str) -> AuditTrail:
    """The store's audit trail, or a clear error for a store without one."""
    if not hasattr(store, "chain_links"):
        raise ConfigError(f"{where} keeps no hash chain (the memory store)")
    return store  # type: ignore[return-value]


def summary(event: Event) -> str:
    """An event's fields as ``name=value`` (ids, venue, symbol and receive time left out)."""
    fields = msgspec.structs.asdict(event)
    return ", ".join(f"{k}={v}" for k, v in fields.items() if k not in _NOT_SHOWN)


def print_steps(steps: Sequence[Step]) -> None:
    """One line per step: the label, the notification id, the topic and the fields."""
    for label, recorded in steps:
        console.print(
            f"[bold]{label:>13}[/] #{recorded.notification_id} {recorded.event.TOPIC}: "
            f"{summary(recorded.event)}",
            highlight=False,
        )


def step_documents(steps: Sequence[Step]) -> list[dict[str, Any]]:
    """The steps as JSON-ready documents."""
    return [
        {"step": label, "notification_id": r.notification_id, "topic": r.event.TOPIC, "event": r.event}
        for label, r in steps
    ]


def write_json(document: object) -> None:
    """One JSON document on stdout (Decimal as exact text)."""
    sys.stdout.write(msgspec.json.encode(document).decode() + "\n")
