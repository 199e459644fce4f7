"""Audit events: signed checkpoints of the hash chain."""

from __future__ import annotations

from typing import ClassVar

from domain.events.base import Event, event_topic


@event_topic("audit.Checkpoint.Signed")
class CheckpointSigned(Event, frozen=True, kw_only=True):
    """The chain's head at ``head_id``, signed (Ed25519) so it can be anchored outside the system.

    Not an engine input or decision: replay passes over it.
    """

    IS_INPUT: ClassVar[bool] = True

    head_id: int
    head_hash: bytes
    signature: bytes
    public_key: bytes
    signed_at: str
