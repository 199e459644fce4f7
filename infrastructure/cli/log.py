"""``memesnipe log summary`` and ``memesnipe log show``: read the log."""

from __future__ import annotations

import sys
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from application.log_summary import LogSummary, summarise
from domain.events import ALL_EVENT_TYPES
from domain.market.values import format_timestamp
from infrastructure.bootstrap import open_ledger
from infrastructure.cli.context import LogOption, chosen_settings, console, reports_errors
from infrastructure.config import Settings
from infrastructure.errors import ConfigError

app = typer.Typer(help="Read the log.")


def print_summary(summary: LogSummary, settings: Settings) -> None:
    """Counts per topic and the imports, as tables."""
    console.print(f"[bold]log[/] {settings.describe_store()}")
    console.print(f"{summary.total_events:,} events, last notification id {summary.last_notification_id:,}")
    topics = Table("topic", "events")
    for topic, count in summary.events_by_topic.items():
        topics.add_row(topic, f"{count:,}")
    console.print(topics)
    for marker in summary.imports:
        rejected = sum(count for _, count in marker.rejected)
        span = " .. ".join(
            format_timestamp(ts) for ts in (marker.first_ts_event, marker.last_ts_event) if ts is not None
        )
        console.print(
            f"import [bold]{marker.source}[/]: {marker.kind}s of {marker.symbol} on {marker.venue}, "
            f"{marker.accepted:,} accepted, {rejected:,} rejected, {span or 'no data'}",
            highlight=False,
        )


@app.command("summary")
@reports_errors
def summary(ctx: typer.Context, log: LogOption = None) -> None:
    """Events per topic and every import recorded in the log."""
    settings = chosen_settings(ctx, log)
    with open_ledger(settings) as store:
        print_summary(summarise(store.log), settings)


@app.command("show")
@reports_errors
def show(
    ctx: typer.Context,
    after: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Start after this notification id.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 20,
    topic: Annotated[list[str] | None, typer.Option(help="Only these topics.")] = None,
    log: LogOption = None,
) -> None:
    """Print events as JSON lines: notification id, topic and every field."""
    unknown = sorted(set(topic or ()) - set(ALL_EVENT_TYPES))
    if unknown:
        raise ConfigError(f"unknown topic {', '.join(unknown)}; topics: {', '.join(sorted(ALL_EVENT_TYPES))}")
    encoder = msgspec.json.Encoder(decimal_format="string")
    shown = 0
    with open_ledger(chosen_settings(ctx, log)) as store:
        for page in store.log.read(after, min(limit, 10_000), topics=topic or ()):
            for recorded in page:
                line = {
                    "notification_id": recorded.notification_id,
                    "topic": type(recorded.event).TOPIC,
                    "event": recorded.event,
                }
                sys.stdout.write(encoder.encode(line).decode() + "\n")
                shown += 1
                if shown >= limit:
                    return
