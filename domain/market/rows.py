"""Rows of market data (already split into fields) into events, or a refusal.

A parser keeps just enough state to refuse rows whose timestamps go
backwards or repeat. Reason codes, beyond those of ``values``:

non_positive_price, negative_volume, non_positive_size, high_below_low,
ohlc_inconsistent, crossed_quote, bad_side, timestamp_out_of_order,
timestamp_duplicated.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from domain.errors import InvalidMarketData
from domain.events.market import Aggressor, Bar, DataKind, MarketEvent, Quote, TradeTick
from domain.ids import StreamId, Symbol, Venue
from domain.market.values import parse_decimal, parse_timestamp

BAR_FIELDS: Final = ("timestamp", "open", "high", "low", "close", "volume")
TRADE_FIELDS: Final = ("timestamp", "price", "size", "side", "trade_id")
QUOTE_FIELDS: Final = ("timestamp", "bid", "bid_size", "ask", "ask_size")
FIELDS_BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "bar": BAR_FIELDS,
    "trade": TRADE_FIELDS,
    "quote": QUOTE_FIELDS,
}
OPTIONAL_FIELDS: Final = frozenset({"side", "trade_id"})

_ZERO = Decimal(0)
_SIDES: Final[dict[str, Aggressor]] = {
    "": "unknown",
    "buy": "buy",
    "b": "buy",
    "sell": "sell",
    "s": "sell",
    "unknown": "unknown",
}

Row = Sequence[str | None]


def _price(field: str, text: str | None) -> Decimal:
    value = parse_decimal(field, text)
    if value <= _ZERO:
        raise InvalidMarketData("non_positive_price", f"{field} must be positive, got {value}")
    return value


class RowParser:
    """Turns rows of one stream into events, refusing malformed or out-of-order rows.

    ``strictly_increasing`` refuses repeated timestamps (bars); trades and quotes
    may share a timestamp but must not go back in time.
    """

    kind: DataKind = "bar"
    strictly_increasing = True

    def __init__(
        self, venue: Venue, symbol: Symbol, stream_id: StreamId, last_ts_event: int | None = None
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.stream_id = stream_id
        self.last_ts_event = last_ts_event

    def parse(self, row: Row, version: int) -> MarketEvent:
        """The event for ``row`` at ``version`` of the stream; raises InvalidMarketData."""
        ts = parse_timestamp(row[0])
        self._check_order(ts)
        event = self._build(row, ts, version)
        self.last_ts_event = ts
        return event

    def remember(self, stored_at_last_ts: Sequence[MarketEvent]) -> None:
        """The stream's stored events at its last timestamp, when an import continues it (trades
        use them to refuse repeats across files)."""

    def timestamp_or_none(self, row: Row) -> int | None:
        """The row's timestamp if it parses, for recording alongside a refusal."""
        try:
            return parse_timestamp(row[0])
        except InvalidMarketData:
            return None

    def _check_order(self, ts: int) -> None:
        last = self.last_ts_event
        if last is None:
            return
        if ts < last:
            raise InvalidMarketData(
                "timestamp_out_of_order", f"timestamp {ts} is before the previous one {last}"
            )
        if ts == last and self.strictly_increasing:
            raise InvalidMarketData("timestamp_duplicated", f"timestamp {ts} repeats the previous row")

    def _build(self, row: Row, ts: int, version: int) -> MarketEvent:
        raise NotImplementedError


class BarParser(RowParser):
    """OHLCV bars: positive prices, low <= open, close <= high, volume >= 0."""

    kind: DataKind = "bar"

    def _build(self, row: Row, ts: int, version: int) -> Bar:
        open_, high, low, close = (_price(f, row[i]) for i, f in enumerate(BAR_FIELDS[1:5], 1))
        volume = parse_decimal("volume", row[5])
        if volume < _ZERO:
            raise InvalidMarketData("negative_volume", f"volume must not be negative, got {volume}")
        if high < low:
            raise InvalidMarketData("high_below_low", f"high {high} is below low {low}")
        if not (low <= open_ <= high and low <= close <= high):
            raise InvalidMarketData(
                "ohlc_inconsistent",
                f"open {open_} and close {close} must lie within low {low} and high {high}",
            )
        return Bar(
            originator_id=self.stream_id,
            originator_version=version,
            venue=self.venue,
            symbol=self.symbol,
            ts_event=ts,
            ts_recv=ts,
            open=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
        )


class TradeParser(RowParser):
    """Trade prints: positive price and size, a known side; exact repeats refused."""

    kind: DataKind = "trade"
    strictly_increasing = False

    def __init__(
        self, venue: Venue, symbol: Symbol, stream_id: StreamId, last_ts_event: int | None = None
    ) -> None:
        super().__init__(venue, symbol, stream_id, last_ts_event)
        self._seen_at_last_ts: set[tuple[str, ...]] = set()

    def _build(self, row: Row, ts: int, version: int) -> TradeTick:
        price = _price("price", row[1])
        size = parse_decimal("size", row[2])
        if size <= _ZERO:
            raise InvalidMarketData("non_positive_size", f"size must be positive, got {size}")
        side_text = (row[3] or "").strip().lower() if len(row) > 3 else ""
        aggressor = _SIDES.get(side_text)
        if aggressor is None:
            raise InvalidMarketData("bad_side", f"side must be buy or sell, got {side_text!r}")
        trade_id = (row[4] or "").strip() if len(row) > 4 else ""
        self._refuse_repeat(ts, _trade_key(trade_id, price, size, aggressor))
        return TradeTick(
            originator_id=self.stream_id,
            originator_version=version,
            venue=self.venue,
            symbol=self.symbol,
            ts_event=ts,
            ts_recv=ts,
            price=price,
            size=size,
            aggressor=aggressor,
            trade_id=trade_id,
        )

    def remember(self, stored_at_last_ts: Sequence[MarketEvent]) -> None:
        self._seen_at_last_ts = {
            _trade_key(t.trade_id, t.price, t.size, t.aggressor)
            for t in stored_at_last_ts
            if isinstance(t, TradeTick) and t.ts_event == self.last_ts_event
        }

    def _refuse_repeat(self, ts: int, key: tuple[str, ...]) -> None:
        # Repeats can only collide within one timestamp, so the memory stays bounded.
        if ts != self.last_ts_event:
            self._seen_at_last_ts = set()
        elif key in self._seen_at_last_ts:
            raise InvalidMarketData("timestamp_duplicated", f"trade {key} repeats at timestamp {ts}")
        self._seen_at_last_ts.add(key)


def _trade_key(trade_id: str, price: Decimal, size: Decimal, aggressor: str) -> tuple[str, ...]:
    """What makes a trade a repeat of another at the same timestamp: its id, else all of it."""
    return (trade_id,) if trade_id else (str(price), str(size), aggressor)


class QuoteParser(RowParser):
    """Top-of-book quotes: positive prices, non-negative sizes, bid not above ask."""

    kind: DataKind = "quote"
    strictly_increasing = False

    def _build(self, row: Row, ts: int, version: int) -> Quote:
        bid = _price("bid", row[1])
        bid_size = parse_decimal("bid_size", row[2])
        ask = _price("ask", row[3])
        ask_size = parse_decimal("ask_size", row[4])
        if bid_size < _ZERO or ask_size < _ZERO:
            raise InvalidMarketData("negative_volume", "quote sizes must not be negative")
        if bid > ask:
            raise InvalidMarketData("crossed_quote", f"bid {bid} is above ask {ask}")
        return Quote(
            originator_id=self.stream_id,
            originator_version=version,
            venue=self.venue,
            symbol=self.symbol,
            ts_event=ts,
            ts_recv=ts,
            bid=bid,
            bid_size=bid_size,
            ask=ask,
            ask_size=ask_size,
        )


PARSERS: Final[dict[str, type[RowParser]]] = {
    "bar": BarParser,
    "trade": TradeParser,
    "quote": QuoteParser,
}
