"""Signed checkpoints of the hash chain, and checking a log against an anchor kept elsewhere.

A checkpoint signs the chain's head (``checkpoint_message``); it is recorded in the
log as ``audit.Checkpoint.Signed`` (and chained in turn). Exported, it is an anchor:
if the history up to its head were rewritten, even with a consistently recomputed
chain, the chain at that id would no longer equal the anchor's hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from application.audit.verify_chain import ChainReport, verify_chain
from application.ports import AuditTrail, EventLog
from domain.audit.chain import checkpoint_message
from domain.events import CheckpointSigned
from domain.ids import derive_id

CHECKPOINTS = derive_id("audit-checkpoints")

SignatureCheck = Callable[[bytes, bytes, bytes], bool]
"""(public key, message, signature) -> valid"""


class Signer(Protocol):
    """Holds the private key; gives signatures and the public key only."""

    @property
    def public_key(self) -> bytes:
        """The raw public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """A signature of ``message``."""
        ...


def sign_checkpoint(log: EventLog, trail: AuditTrail, signer: Signer, signed_at: str) -> CheckpointSigned:
    """Bring the chain up to date, sign its head, record the checkpoint (and chain it too)."""
    trail.extend_chain()
    previous = log.stream_head(CHECKPOINTS)
    checkpoint = sign_head(
        log,
        trail.chain_head(),
        previous if isinstance(previous, CheckpointSigned) else None,
        signer,
        signed_at,
    )
    trail.extend_chain()
    return checkpoint


def sign_head(
    log: EventLog,
    head: tuple[int, bytes],
    previous: CheckpointSigned | None,
    signer: Signer,
    signed_at: str,
) -> CheckpointSigned:
    """Sign ``head``, a (notification id, hash) the chain has had, and record the checkpoint after
    ``previous`` (the log's last one). Reads nothing of the log: a writer that chains its own
    batches and reports each one's head is not made to wait for those in flight."""
    head_id, head_hash = head
    checkpoint = CheckpointSigned(
        originator_id=CHECKPOINTS,
        originator_version=(previous.originator_version if previous else 0) + 1,
        head_id=head_id,
        head_hash=head_hash,
        signature=signer.sign(checkpoint_message(head_id, head_hash)),
        public_key=signer.public_key,
        signed_at=signed_at,
    )
    log.append([checkpoint])
    return checkpoint


def verify_against_anchor(
    trail: AuditTrail, anchor: CheckpointSigned, signature_valid: SignatureCheck
) -> tuple[ChainReport, list[str]]:
    """The chain report, and what is wrong between the log and the anchor (empty when nothing)."""
    problems = []
    if not signature_valid(
        anchor.public_key, checkpoint_message(anchor.head_id, anchor.head_hash), anchor.signature
    ):
        problems.append("the anchor's signature is not valid for its head")
    report = verify_chain(trail)
    link = next(
        (link for page in trail.chain_links(after=anchor.head_id - 1, page_size=1) for link in page), None
    )
    if link is None or link.notification_id != anchor.head_id:
        problems.append(f"the chain has no link at the anchor's notification id {anchor.head_id}")
    elif link.hash != anchor.head_hash:
        problems.append(
            f"the chain at notification id {anchor.head_id} differs from the anchor: the history up to "
            "it was rewritten (the chain was recomputed to hide it)"
        )
    return report, problems
