"""Periodic signed checkpoints: the chain's head signed every N events or T seconds, whichever first.

``CheckpointPolicy`` decides; ``PeriodicCheckpoints`` keeps count since the last checkpoint
recorded in the log and signs (``sign_checkpoint``) when the policy says so. Time is handed
in by the caller (infrastructure reads the clock; nothing here does). A checkpoint is due
only when something was appended since the last one: its head would otherwise be the
head already signed. Checkpoint events never count as appended events (so checkpoints do
not beget checkpoints), and replay passes over them (they are neither inputs nor decisions).

Two ways to count: ``appended`` (an in-process writer reports its own appends: exact and
free) and ``poll`` (a watcher of a store written by other processes: extend the chain,
count its new links).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from application.audit.checkpoints import CHECKPOINTS, Signer, sign_checkpoint, sign_head
from application.errors import ApplicationError
from application.ports import AuditTrail, EventLog
from domain.events import CheckpointSigned


class InvalidCheckpointPolicy(ApplicationError):
    """An interval is negative or not a number. Give 0 (off) or a positive count of events or seconds."""


@dataclass(frozen=True)
class CheckpointPolicy:
    """Every ``every_events`` events appended since the last checkpoint, or ``every_seconds`` after
    it, whichever comes first; 0 turns that trigger off."""

    every_events: int = 0
    every_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.every_events < 0:
            raise InvalidCheckpointPolicy(f"every_events must be 0 or more, got {self.every_events}")
        if not math.isfinite(self.every_seconds) or self.every_seconds < 0:
            raise InvalidCheckpointPolicy(f"every_seconds must be 0 or more, got {self.every_seconds}")

    @property
    def enabled(self) -> bool:
        """Whether either trigger is on."""
        return self.every_events > 0 or self.every_seconds > 0

    def due(self, events_since: int, seconds_since: float) -> bool:
        """Whether to sign now, given what was appended and how long ago the last checkpoint was."""
        if events_since <= 0:
            return False
        if self.every_events and events_since >= self.every_events:
            return True
        return bool(self.every_seconds) and seconds_since >= self.every_seconds


class PeriodicCheckpoints:
    """Counts events since the log's last checkpoint and signs the chain's head when one is due."""

    def __init__(
        self,
        log: EventLog,
        trail: AuditTrail,
        signer: Signer,
        policy: CheckpointPolicy,
        now: datetime,
        committed_head: Callable[[], tuple[int, bytes]] | None = None,
        *,
        new_log: bool = False,
    ) -> None:
        """``committed_head``: for a log only this process appends to, whose writer chains each
        batch and reports its head: the head to sign without waiting for the batches in flight.
        ``new_log``: the log is new (no checkpoint to look for: nothing is read)."""
        self.log, self.trail, self.signer, self.policy = log, trail, signer, policy
        self.committed_head = committed_head
        last = None if new_log else log.stream_head(CHECKPOINTS)
        self.last: CheckpointSigned | None = last if isinstance(last, CheckpointSigned) else None
        self.since = _moment(self.last.signed_at, now) if self.last else now
        """When the last checkpoint was signed (or, with none yet, when counting began)."""
        self.counted_upto = self.last.head_id if self.last else 0
        self.events_since = 0
        self.signed: list[CheckpointSigned] = []

    def appended(self, count: int, now: datetime) -> CheckpointSigned | None:
        """``count`` events were just appended by the caller; sign if a checkpoint is due."""
        self.count(count)
        return self.sign_if_due(now)

    def count(self, count: int) -> None:
        """``count`` events were just appended by the caller (signing is asked for apart)."""
        self.events_since += count

    def poll(self, now: datetime) -> CheckpointSigned | None:
        """Chain whatever was appended (by anyone), count it, and sign if a checkpoint is due."""
        self.trail.extend_chain()
        enough = self.policy.every_events or math.inf
        for page in self.trail.chain_links(after=self.counted_upto):
            for link in page:
                if link.originator_id != CHECKPOINTS.bytes:
                    self.events_since += 1
                self.counted_upto = link.notification_id
            if self.events_since >= enough:
                break
        return self.sign_if_due(now)

    def seconds_since(self, now: datetime) -> float:
        """Seconds since the last checkpoint (or since counting began)."""
        return (now - self.since).total_seconds()

    def sign_if_due(self, now: datetime) -> CheckpointSigned | None:
        """Sign the chain's head if the policy says a checkpoint is due now (with a committed head:
        once that head is past the last checkpoint's; until then the checkpoint stays due)."""
        if not self.policy.due(self.events_since, self.seconds_since(now)):
            return None
        if self.committed_head is None:
            signed = sign_checkpoint(self.log, self.trail, self.signer, now.isoformat())
        else:
            head = self.committed_head()
            if head[0] <= (self.last.head_id if self.last is not None else 0):
                return None  # nothing committed past the last checkpoint yet
            signed = sign_head(self.log, head, self.last, self.signer, now.isoformat())
        self.last, self.since, self.counted_upto, self.events_since = signed, now, signed.head_id, 0
        self.signed.append(signed)
        return signed


def _moment(text: str, fallback: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return fallback  # not a time this code wrote; count from now rather than refuse to sign
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
