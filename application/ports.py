"""Ports: what the use cases need from the outside world, as Protocols.

Infrastructure implements them (SQLite, PostgreSQL, memory); tests may use
the in-memory implementation rather than mocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload
from uuid import UUID

import msgspec

from domain.events import AnyBar, Event, OrderSubmitted, VenueReport
from domain.market.columns import CloseColumns

T = TypeVar("T")


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """An event with its position in the global order (notification id).

    Not tracked by the garbage collector: it refers only to an immutable event.
    """

    notification_id: int
    event: Event


class CountedBatch(list[tuple[Any, Any]]):
    """A batch for ``append_encoded`` that knows how many rows it appends (``rows``), as the
    session runner counts them while it fills the batch: ``rows_in`` need not look at each item."""

    __slots__ = ("rows",)

    def __init__(self, items: Iterable[tuple[Any, Any]], rows: int) -> None:
        super().__init__(items)
        self.rows = rows


def rows_in(items: Sequence[tuple[object, object]]) -> int:
    """The rows a batch appends: one an item, a run of copied rows (a ``range`` of source ids, see
    ``SessionRunner``) as many as it holds (a ``CountedBatch`` knows its count)."""
    if type(items) is CountedBatch:
        return items.rows
    return len(items) + sum(len(data) - 1 for _, data in items if type(data) is range)


class PackedStates(Sequence[bytes]):
    """A page of stored bytes packed in one buffer: item ``i`` is ``blob[offsets[i]:offsets[i + 1]]``.

    What a store's ``read_states`` may give instead of a list: no bytes object per event until
    one is asked for, and ``blob`` is the page's bytes joined, as a digest of them reads them."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes, offsets: Sequence[int]) -> None:
        if not offsets or offsets[0] != 0 or offsets[-1] != len(blob):
            raise ValueError("offsets must run from 0 to the blob's length")
        self.blob, self.offsets = blob, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self) -> Iterator[bytes]:
        blob, offsets = self.blob, self.offsets
        return (blob[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1))

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        offsets = self.offsets
        if index < 0:
            index += len(offsets) - 1
        if not 0 <= index < len(offsets) - 1:
            raise IndexError("PackedStates index out of range")
        return self.blob[offsets[index] : offsets[index + 1]]


class StoredRecord(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """An event as stored: notification id, topic and the exact stored bytes."""

    notification_id: int
    topic: str
    state: bytes


class EventLog(Protocol):
    """The ledger's log: one writer, one total order, append-only."""

    def append(self, events: Sequence[Event]) -> int:
        """Store ``events`` in one transaction (all or nothing); return the last notification id.

        Raises an error if an (originator id, version) pair is already taken.
        """
        ...

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for events already encoded by the store's codec (each with its bytes)."""
        ...

    def stream_head(self, originator_id: UUID) -> Event | None:
        """The latest event of one aggregate or stream, or None if it has none."""
        ...

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """One stream's events with ``after_version < version <= upto_version`` (a key lookup)."""
        ...

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Pages of events with notification id > ``after``, in notification order.

        Ids may have gaps (PostgreSQL); never assume consecutive ids. ``decode_as`` maps topics
        to lighter structs (some of the event's fields, named and typed as the event's) that
        their events may be decoded into instead: the decoder then skips the other fields.
        A store may ignore it, so the caller must take the full event as well.
        """
        ...

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Like ``read`` but undecoded: the exact bytes, for digests and verification."""
        ...

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """The stored bytes of one topic's events after ``after``, a page at a time, with their
        notification ids: for a reader that decodes them itself (a backtest's bars). A store may
        give a page's bytes as ``PackedStates`` (one buffer, no object per event)."""
        ...

    def last_notification_id(self) -> int:
        """The highest notification id stored, 0 when the log is empty."""
        ...

    def count_by_topic(self) -> dict[str, int]:
        """How many events of each topic the log holds, sorted by topic."""
        ...


class SimulatedExchange(Protocol):
    """A venue simulated in-process: it sees the market and answers orders with reports."""

    def submit(self, order: OrderSubmitted) -> Sequence[VenueReport]:
        """Take an order; return what the venue says at once (an acknowledgement or a rejection)."""
        ...

    def on_bar(self, bar: AnyBar) -> Sequence[VenueReport]:
        """Fill what this bar's prices allow, before the engine sees the bar."""
        ...

    def idle(self) -> bool:
        """True when no order rests at the venue, so ``on_bar`` would only note the bar's close and
        time (and return nothing): then only a run's last bar needs to be shown to it."""
        ...

    def on_session_end(self) -> Sequence[VenueReport]:
        """Settle market orders still waiting at the last known price."""
        ...


class Codec(Protocol):
    """Events to stored bytes and back (the store's codec)."""

    def encode(self, event: Event) -> bytes:
        """The exact bytes stored for ``event``."""
        ...

    def decode(self, topic: str, data: bytes) -> Event:
        """The event stored as ``data`` under ``topic``."""
        ...

    def decode_many(self, topic: str, states: Sequence[bytes], as_type: type[T]) -> list[T]:
        """Events stored under ``topic``, each decoded into ``as_type``: the topic's class, or a
        struct with some of its fields (e.g. ``StoredBar``); errors as ``decode``'s."""
        ...

    def decoder(self, topic: str, as_type: type[T]) -> Callable[[bytes], T]:
        """``decode_many`` for one event at a time (its lookups done once)."""
        ...

    def close_columns(self, states: Sequence[bytes], symbol: str) -> CloseColumns | None:
        """Stored bars, all of ``symbol``, as columns of their times, closes and volumes, read
        straight from their bytes; None where the codec cannot (the caller decodes them the
        ordinary way)."""
        ...


class AuditedEvent(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A stored event as the hash chain covers it."""

    notification_id: int
    originator_id: bytes
    originator_version: int
    topic: str
    state: bytes


class ChainLink(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One link of the stored hash chain: which event it covered, and the hash."""

    notification_id: int
    originator_id: bytes
    originator_version: int
    hash: bytes


class AuditTrail(Protocol):
    """The stored events and the stored chain, each in notification order."""

    def audited_events(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[AuditedEvent]]:
        """Every stored event with the fields the chain covers."""
        ...

    def chain_links(self, after: int = 0, page_size: int = 20_000) -> Iterator[Sequence[ChainLink]]:
        """Every stored chain link."""
        ...

    def extend_chain(self) -> int:
        """Link the events the chain does not cover yet (exactly once); return how many."""
        ...

    def chain_head(self) -> tuple[int, bytes]:
        """(notification id, hash) of the chain's last link."""
        ...
