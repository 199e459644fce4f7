"""Circuit-breaker state per account and strategy, its history, and operator commands.

A breaker's row is versioned at every transition, so its history is the row's
versions (each with the reason and the measured values the engine recorded).
"""

from __future__ import annotations

from decimal import Decimal

from domain.events import BreakerChanged, Event, OperatorCommand, OperatorCommandRefused, SessionStarted
from projections.base import Projection, Row, Table
from projections.context import SessionContext


class BreakerRow(Row, frozen=True, kw_only=True):
    """A breaker's state since the transition that made this version."""

    account: str
    scope: str
    state: str
    previous: str
    reason: str
    drawdown_pct: Decimal
    daily_loss_pct: Decimal
    equity: Decimal
    high_water: Decimal
    limits_version: str
    transitions: int


class CommandRow(Row, frozen=True, kw_only=True):
    """An operator command: who, what, why, and whether the engine refused it."""

    account: str
    command: str
    scope: str
    issued_by: str
    reason: str
    outcome: str


BREAKERS = Table("rm_breakers", BreakerRow, ("account", "scope"), state=True)
COMMANDS = Table("rm_operator_commands", CommandRow, (), state=False)


class BreakersProjection(Projection):
    """Breakers now and their history; the operator's commands."""

    name = "breakers"
    tables = (BREAKERS, COMMANDS)
    topics = tuple(t.TOPIC for t in (SessionStarted, BreakerChanged, OperatorCommand, OperatorCommandRefused))

    def __init__(self) -> None:
        super().__init__()
        self.context = SessionContext()
        self.transitions: dict[tuple[str, str], int] = {}

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        account = self.context.account
        if isinstance(event, BreakerChanged):
            key = (account, event.scope)
            count = self.transitions[key] = self.transitions.get(key, 0) + 1
            self.put(
                BREAKERS,
                notification_id,
                BreakerRow(
                    ts=event.ts_event,
                    account=account,
                    scope=event.scope,
                    state=event.after,
                    previous=event.before,
                    reason=event.reason,
                    drawdown_pct=event.drawdown_pct,
                    daily_loss_pct=event.daily_loss_pct,
                    equity=event.equity,
                    high_water=event.high_water,
                    limits_version=event.limits_version,
                    transitions=count,
                ),
            )
        elif isinstance(event, OperatorCommand | OperatorCommandRefused):
            refused = isinstance(event, OperatorCommandRefused)
            self.put(
                COMMANDS,
                notification_id,
                CommandRow(
                    ts=event.ts_event,
                    account=account,
                    command=event.command,
                    scope=event.scope,
                    issued_by=event.issued_by,
                    reason=event.reason,
                    outcome="refused" if refused else "recorded",
                ),
            )
        elif isinstance(event, SessionStarted):
            self.context.start(event)
