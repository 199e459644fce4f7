"""Select the chained history for an auditor: events with their exact bytes and chain links.

Every row carries what an auditor needs to check it without this code: the fields the
chain covers (notification id, originator id, version, topic, the exact stored bytes),
the link before it (``chain_prev``) and its own link (``chain_hash``), so that
``chain_hash == SHA-256(chain_prev || canonical(row))`` can be recomputed anywhere.
``contiguous`` says that no event was left out by the filter between the previous row
and this one (for the first row: that nothing precedes it in the chain), so a checker
knows where ``chain_prev`` must equal the previous row's ``chain_hash``.

Only chained events are exported (up to the chain's head when the export starts), and
the whole log is walked whatever the filter: the account of an event is that of the
session in force (the latest ``engine.Session.Started`` before it), and a venue report
has the strategy and symbol of its order (from the risk decision or submission that
named that order earlier in the log). The latest signed checkpoint seen is kept too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from application.audit.verify_chain import FIRST
from application.ports import AuditedEvent, AuditTrail, ChainLink, Codec
from domain.audit.chain import GENESIS
from domain.events import CheckpointSigned, Event, SessionStarted

T = TypeVar("T")


@dataclass(frozen=True)
class ExportFilter:
    """Which events to export; every field left empty keeps everything.

    Time is the event's own ``ts_event`` (ns), from ``from_ns`` included to ``to_ns``
    excluded; an event without a timestamp of its own is left out when either is set.
    A topic ending in ``.*`` keeps every topic under that prefix.
    """

    from_ns: int | None = None
    to_ns: int | None = None
    account: str | None = None
    strategy: str | None = None
    symbol: str | None = None
    topics: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered out: the export is the complete chained history."""
        return self == ExportFilter()

    def keeps(self, row: ExportRow) -> bool:
        """Whether ``row`` belongs to the export."""
        if self.topics and not any(_topic_matches(row.topic, wanted) for wanted in self.topics):
            return False
        if self.from_ns is not None or self.to_ns is not None:
            if row.ts_event is None:
                return False
            if self.from_ns is not None and row.ts_event < self.from_ns:
                return False
            if self.to_ns is not None and row.ts_event >= self.to_ns:
                return False
        return all(
            wanted is None or wanted == have
            for wanted, have in (
                (self.account, row.account),
                (self.strategy, row.strategy),
                (self.symbol, row.symbol),
            )
        )


def _topic_matches(topic: str, wanted: str) -> bool:
    return topic.startswith(wanted[:-1]) if wanted.endswith(".*") else topic == wanted


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One exported event: what the chain covers, its links, and its fields for reading.

    ``event`` is None when the stored bytes do not decode (the row is still exported, as
    stored, so that the checker judges it); ``chain_hash`` is None for an event that no
    chain link covers (inserted behind the chain's back).
    """

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    event: Event | None
    ts_event: int | None
    account: str
    strategy: str
    symbol: str
    chain_prev: bytes
    chain_hash: bytes | None
    contiguous: bool


@dataclass(frozen=True)
class SignedHead:
    """The latest signed checkpoint in the chained log, and the notification id it is stored at."""

    notification_id: int
    checkpoint: CheckpointSigned


@dataclass
class ExportScope:
    """What the export was taken against and what it holds (complete once the rows are consumed)."""

    head_id: int
    head_hash: bytes
    checkpoint: SignedHead | None = None
    rows: int = 0
    first_id: int | None = None
    last_id: int | None = None
    undecodable: int = 0


class AuditExport:
    """The rows of one export, taken against the chain's head at construction time."""

    def __init__(self, trail: AuditTrail, codec: Codec, wanted: ExportFilter) -> None:
        head_id, head_hash = trail.chain_head()
        self.scope = ExportScope(head_id=head_id, head_hash=head_hash)
        self._trail, self._decode, self._wanted = trail, codec.decode, wanted
        self._orders: dict[Any, tuple[str, str]] = {}
        self._account = ""

    def rows(self) -> Iterator[ExportRow]:
        """The exported rows in notification order; ``scope`` is complete once they are consumed."""
        head_id, scope, keeps = self.scope.head_id, self.scope, self._wanted.keeps
        events = _flat(self._trail.audited_events(after=FIRST))
        links = _flat(self._trail.chain_links(after=FIRST))
        event, chained = next(events, None), next(links, None)
        previous, skipped = GENESIS, False
        while True:
            if chained is not None and chained.notification_id > head_id:
                chained = None  # linked after the export started: not part of it
            if event is not None and event.notification_id > head_id and chained is None:
                event = None
            if event is None and chained is None:
                return
            if chained is not None and (event is None or chained.notification_id < event.notification_id):
                previous, chained = chained.hash, next(links, None)  # deleted: the checker sees a break
                continue
            assert event is not None
            own: ChainLink | None = None
            if chained is not None and chained.notification_id == event.notification_id:
                own, chained = chained, next(links, None)
            row = self._row(event, previous, own, contiguous=not skipped)
            if own is not None:
                previous = own.hash
            event = next(events, None)
            if not keeps(row):
                skipped = True
                continue
            skipped = False
            scope.rows += 1
            scope.last_id = row.notification_id
            if scope.first_id is None:
                scope.first_id = row.notification_id
            yield row

    def _row(
        self, stored: AuditedEvent, previous: bytes, own: ChainLink | None, contiguous: bool
    ) -> ExportRow:
        event = self._decoded(stored)
        ts_event, strategy, symbol = self._attributes(event)
        return ExportRow(
            notification_id=stored.notification_id,
            originator_id=UUID(bytes=stored.originator_id),
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
            event=event,
            ts_event=ts_event,
            account=self._account,
            strategy=strategy,
            symbol=symbol,
            chain_prev=previous,
            chain_hash=own.hash if own is not None else None,
            contiguous=contiguous,
        )

    def _decoded(self, stored: AuditedEvent) -> Event | None:
        try:
            event = self._decode(stored.topic, stored.state)
        except Exception:  # whatever the codec raises: the row goes out as stored, for the checker
            self.scope.undecodable += 1
            return None
        if isinstance(event, SessionStarted):
            self._account = event.account
        elif isinstance(event, CheckpointSigned):
            self.scope.checkpoint = SignedHead(stored.notification_id, event)
        return event

    def _attributes(self, event: Event | None) -> tuple[int | None, str, str]:
        """(ts_event, strategy, symbol) of an event, the last two from its order when it has none."""
        if event is None:
            return None, "", ""
        ts_event: int | None = getattr(event, "ts_event", None)
        strategy: str | None = getattr(event, "strategy_id", None)
        symbol: str | None = getattr(event, "symbol", None)
        order_id = getattr(event, "order_id", None)
        if order_id is not None:
            if strategy is not None and symbol is not None:
                self._orders[order_id] = (strategy, symbol)
            else:
                strategy, symbol = self._orders.get(order_id, (strategy or "", symbol or ""))
        if strategy is None:
            scope = getattr(event, "scope", None)
            strategy = scope if isinstance(scope, str) and scope != "account" else ""
        return ts_event, strategy, symbol or ""


def _flat(pages: Iterator[Sequence[T]]) -> Iterator[T]:
    for page in pages:
        yield from page
