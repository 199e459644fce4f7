"""Market-data input events: bars, trade ticks, quotes, and what was refused.

Times are integers: nanoseconds since the Unix epoch, UTC.
``ts_event`` is when the source says it happened; ``ts_recv`` is when we got
it (for imported history, where we never saw it live, it equals ``ts_event``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar, Literal
from uuid import UUID

import msgspec

from domain.errors import InvalidMarketData
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


class StoredBar(MarketEvent, frozen=True, kw_only=True):
    """A bar read back from a log for the engine: its identity, times and close decoded at once;
    its open, high, low and volume kept as their stored text and made Decimal when asked for,
    which most bars of a backtest never are (a fill, a protective exit or the market-data guards
    ask). Decoding all five Decimals dominates the cost of reading a bar.

    The values are the bar's own (the same text gives the same Decimal), and its fields are the
    bar's, in the bar's order, so it even encodes to the bar's bytes. Not a topic of its own:
    the log holds bars; this is one way of reading them. The codec writes every Decimal as its
    text; text that is not a number (a corrupt or foreign log) is refused when first asked
    for, with ``InvalidMarketData`` naming the bar (``replay verify``, which decodes whole bars,
    refuses such a log outright)."""

    TOPIC: ClassVar[str] = "market.Bar"

    open_text: str = msgspec.field(name="open")
    high_text: str = msgspec.field(name="high")
    low_text: str = msgspec.field(name="low")
    close: Decimal
    volume_text: str = msgspec.field(name="volume")

    @property
    def open(self) -> Decimal:
        """The bar's open."""
        return self._number("open", self.open_text)

    @property
    def high(self) -> Decimal:
        """The bar's high."""
        return self._number("high", self.high_text)

    @property
    def low(self) -> Decimal:
        """The bar's low."""
        return self._number("low", self.low_text)

    @property
    def volume(self) -> Decimal:
        """The bar's volume."""
        return self._number("volume", self.volume_text)

    def _number(self, field: str, text: str) -> Decimal:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise InvalidMarketData(
                "not_a_number",
                f"the stored bar {self.originator_id} v{self.originator_version} ({self.symbol}) has "
                f"{field} {text!r}, not a number: the log is corrupt",
            ) from None


AnyBar = Bar | StoredBar
"""A bar as the engine takes it: decoded whole, or read back for the engine (``StoredBar``)."""


class BarClose(msgspec.Struct, frozen=True, gc=False):
    """A stored bar read for a strategy's scan of quiet bars: its symbol, time and close, all that
    such a scan and the report's marks ask of a bar. Only these three fields are decoded: its id,
    version, venue, receipt time and the texts of the other prices, which a ``StoredBar`` decodes,
    are skipped. The whole bar is decoded from its stored bytes where more is asked (a bar that
    acts, a fill, a protective exit, the risk engine: see ``BarPage``). Not an event: one way of
    reading a bar, which the log records as itself."""

    symbol: str
    ts_event: int
    close: Decimal


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
