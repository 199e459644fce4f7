"""Sessions: which session (and so which configuration) was in force for each account, when.

The row of an account is versioned at every session start and end, so "the session
in force at notification id X" is the version current at X; ``session_id`` and the
version's ``valid_from`` (the start's notification id) locate its configuration in
the log.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from domain.events import Event, SessionEnded, SessionStarted
from projections.base import Projection, Row, Table


class SessionRow(Row, frozen=True, kw_only=True):
    """An account's session: its configuration in brief, and whether it has ended."""

    account: str
    session_id: str
    mode: str
    currency: str
    starting_cash: Decimal
    venue: str
    strategies: str
    code_version: str
    started_id: int
    ended: int
    """The notification id of the session's end (0 while it runs)."""


SESSIONS = Table("rm_sessions", SessionRow, ("account",), state=True)


class SessionsProjection(Projection):
    """One row per account, versioned at each session start and end."""

    name = "sessions"
    tables = (SESSIONS,)
    topics = (SessionStarted.TOPIC, SessionEnded.TOPIC)

    def __init__(self) -> None:
        super().__init__()
        self.current: SessionRow | None = None

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        if isinstance(event, SessionStarted):
            self.current = SessionRow(
                ts=0,
                account=event.account,
                session_id=str(event.originator_id),
                mode=event.mode,
                currency=event.currency,
                starting_cash=event.starting_cash,
                venue=event.venue,
                strategies=",".join(config.strategy_id for config in event.strategies),
                code_version=event.code_version,
                started_id=notification_id,
                ended=0,
            )
            self.put(SESSIONS, notification_id, self.current)
        elif isinstance(event, SessionEnded) and self.current is not None:
            self.current = msgspec.structs.replace(self.current, ts=event.ts_event, ended=notification_id)
            self.put(SESSIONS, notification_id, self.current)
