"""Market-data input events: bars, trade ticks, quotes, and what was refused.

Times are integers: nanoseconds since the Unix epoch, UTC.
``ts_event`` is when the source says it happened; ``ts_recv`` is when we got
it (for imported history, where we never saw it live, it equals ``ts_event``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from domain.events.base import Event, event_topic

DataKind = Literal["bar", "trade", "quote"]
Aggressor = Literal["buy", "sell", "unknown"]


class MarketEvent(Event, frozen=True, kw_only=True):
    """Common fields of market-data events; an input, never a decision."""

    IS_INPUT: ClassVar[bool] = True

    venue: str
    symbol: str
    ts_event: int
    ts_recv: int


@event_topic("market.Bar")
class Bar(MarketEvent, frozen=True, kw_only=True):
    """One OHLCV bar; ``ts_event`` is the bar's timestamp as the source gives it."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@event_topic("market.TradeTick")
class TradeTick(MarketEvent, frozen=True, kw_only=True):
    """One public trade printed by a venue."""

    price: Decimal
    size: Decimal
    aggressor: Aggressor = "unknown"
    trade_id: str = ""


@event_topic("market.Quote")
class Quote(MarketEvent, frozen=True, kw_only=True):
    """Top of book: best bid and ask with their sizes."""

    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal


@event_topic("market.Data.Rejected")
class MarketDataRejected(Event, frozen=True, kw_only=True):
    """A row or message we refused, kept with the raw text and the reason."""

    IS_INPUT: ClassVar[bool] = True

    venue: str
    symbol: str
    kind: DataKind
    source: str
    line: int
    raw: str
    reason: str
    message: str
    ts_event: int | None = None


@event_topic("market.Data.Imported")
class MarketDataImported(Event, frozen=True, kw_only=True):
    """One source finished importing into a stream; its id is the idempotence key."""

    IS_INPUT: ClassVar[bool] = True

    stream_id: UUID
    venue: str
    symbol: str
    kind: DataKind
    source: str
    source_digest: str
    accepted: int
    rejected: tuple[tuple[str, int], ...]
    first_ts_event: int | None
    last_ts_event: int | None
