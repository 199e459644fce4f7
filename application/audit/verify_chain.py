"""Recompute the hash chain over the stored events and compare it with the stored chain.

Findings, each with the exact notification id:
- modified: the event's bytes no longer hash to the stored link (its content changed);
- reordered: the event at this id is one the chain recorded at another id;
- deleted: the chain has a link for this id but the event is gone;
- inserted: an event, before the chain's head, that the chain never covered.
Events after the head are not findings: they are not chained yet (``unchained``);
``memesnipe audit chain`` links them.
After a finding the walk continues from the stored link, so each tampering is
reported once and the rest of the log is still checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from application.ports import AuditedEvent, AuditTrail, ChainLink
from domain.audit.chain import GENESIS, link

T = TypeVar("T")
FIRST = -(2**63)
"""Read from the lowest possible id: a tampered row may carry an id no writer would use."""


@dataclass(frozen=True)
class Finding:
    """One place where the log and its chain disagree."""

    kind: str
    notification_id: int
    detail: str


@dataclass
class ChainReport:
    """The outcome: how much was checked, the head, and every finding."""

    events: int = 0
    links: int = 0
    head_id: int = 0
    head: bytes = GENESIS
    unchained: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing was found and every event is covered."""
        return not self.findings


def _flat(pages: Iterator[Sequence[T]]) -> Iterator[T]:
    for page in pages:
        yield from page


def verify_chain(trail: AuditTrail) -> ChainReport:
    """Walk events and links together in notification order."""
    report = ChainReport()
    recorded_at: dict[tuple[bytes, int], int] = {}
    events = _flat(trail.audited_events(after=FIRST))
    links = _flat(trail.chain_links(after=FIRST))
    event, chained = next(events, None), next(links, None)
    previous = GENESIS
    while event is not None or chained is not None:
        if chained is not None and (event is None or chained.notification_id < event.notification_id):
            report.findings.append(
                Finding(
                    "deleted", chained.notification_id, "the chain covers an event that is no longer stored"
                )
            )
            recorded_at[(chained.originator_id, chained.originator_version)] = chained.notification_id
            previous = chained.hash
            report.links += 1
            chained = next(links, None)
            continue
        assert event is not None
        report.events += 1
        if chained is None:
            report.unchained += 1
            event = next(events, None)
            continue
        if event.notification_id < chained.notification_id:
            report.findings.append(
                Finding("inserted", event.notification_id, f"a {event.topic} event the chain never covered")
            )
            event = next(events, None)
            continue
        report.links += 1
        recorded_at[(chained.originator_id, chained.originator_version)] = chained.notification_id
        expected = link(
            previous,
            event.notification_id,
            event.originator_id,
            event.originator_version,
            event.topic,
            event.state,
        )
        if expected != chained.hash:
            report.findings.append(_changed(event, chained, recorded_at))
        previous = chained.hash
        report.head_id, report.head = chained.notification_id, chained.hash
        event, chained = next(events, None), next(links, None)
    return report


def _changed(event: AuditedEvent, chained: ChainLink, recorded_at: dict[tuple[bytes, int], int]) -> Finding:
    identity = (event.originator_id, event.originator_version)
    if identity != (chained.originator_id, chained.originator_version):
        elsewhere = recorded_at.get(identity)
        where = f"at id {elsewhere}" if elsewhere is not None else "elsewhere (or never)"
        return Finding(
            "reordered", event.notification_id, f"this id holds an event the chain recorded {where}"
        )
    return Finding(
        "modified", event.notification_id, f"the stored {event.topic} event no longer matches the chain"
    )
