"""Periodic checkpoints wired up: the policy from the settings, the signing key, the wall clock.

The application decides when a checkpoint is due (``application.audit.periodic``); this
module gives it the time (UTC wall clock: it is what ``signed_at`` records and what the
next process compares with) and the key, loaded only when a checkpoint is signed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from application.audit.checkpointing_log import CheckpointingLog, Clock
from application.audit.periodic import CheckpointPolicy, PeriodicCheckpoints
from application.ports import AuditTrail, EventLog
from infrastructure.audit.signing import FileSigner, key_path
from infrastructure.config import Settings
from infrastructure.store.sqlite_writer import SQLiteWriterProcess


def wall_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def policy_of(settings: Settings) -> CheckpointPolicy:
    """The periodic-checkpoint policy the settings ask for."""
    return CheckpointPolicy(settings.checkpoint_every_events, settings.checkpoint_every_seconds)


class LazySigner:
    """The key file's signer, loaded (or created) at the first signature, not before."""

    def __init__(self, settings: Settings) -> None:
        self._path = key_path(settings.data_dir)
        self._signer: FileSigner | None = None

    @property
    def public_key(self) -> bytes:
        """The raw public key."""
        return self._loaded().public_key

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of ``message``."""
        return self._loaded().sign(message)

    def _loaded(self) -> FileSigner:
        if self._signer is None:
            self._signer = FileSigner(self._path)
        return self._signer


def trail_or_none(log: object) -> AuditTrail | None:
    """The log's audit trail, or None for a store that keeps no hash chain (memory)."""
    return log if hasattr(log, "extend_chain") and hasattr(log, "chain_head") else None  # type: ignore[return-value]


def checkpointing(
    log: EventLog,
    settings: Settings,
    *,
    clock: Clock = wall_clock,
    deferred: bool = False,
) -> CheckpointingLog:
    """``log``, signing a checkpoint after any append that makes one due under the settings' policy.

    ``settings`` give the policy and the key (the main store's, also for a run's own log).
    A pass-through when the policy is off or the store keeps no chain. ``deferred``: for a
    pipelined writer (see ``CheckpointingLog``).
    """
    policy, trail = policy_of(settings), trail_or_none(log)
    if not policy.enabled or trail is None:
        return CheckpointingLog(log, None, clock)
    # A pipelined writer of a log only this process appends to (a backtest's own) reports the head
    # of each batch it committed: its checkpoints sign that, without waiting for the batches in flight.
    writer = log if deferred and isinstance(log, SQLiteWriterProcess) else None
    committed = writer.committed_head if writer is not None else None
    checkpoints = PeriodicCheckpoints(
        log,
        trail,
        LazySigner(settings),
        policy,
        clock(),
        committed,
        new_log=writer is not None and writer.alone,
    )
    return CheckpointingLog(log, checkpoints, clock, deferred=deferred)
