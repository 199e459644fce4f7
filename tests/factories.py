"""Small builders of events for tests."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from domain.events import Bar, MarketDataRejected
from domain.ids import Symbol, Venue, market_stream_id

STREAM = market_stream_id(Venue("kraken"), Symbol("BTC/USD"), "bar")


def bars(count: int, start_version: int = 1, stream: UUID = STREAM) -> list[Bar]:
    """``count`` valid one-minute bars continuing a stream at ``start_version``."""
    return [
        Bar(
            originator_id=stream,
            originator_version=v,
            venue="kraken",
            symbol="BTC/USD",
            ts_event=v * 60_000_000_000,
            ts_recv=v * 60_000_000_000,
            open=Decimal("100.5"),
            high=Decimal(101) + v,
            low=Decimal("99.25"),
            close=Decimal("100.75"),
            volume=Decimal(v) / 4,
        )
        for v in range(start_version, start_version + count)
    ]


def rejected_row(version: int = 1_000) -> MarketDataRejected:
    """A refused row of the factory stream (at ``version``, 1,000 unless given)."""
    return MarketDataRejected(
        originator_id=STREAM,
        originator_version=version,
        venue="kraken",
        symbol="BTC/USD",
        kind="bar",
        source="f.csv",
        line=3,
        raw="x",
        reason="not_a_number",
        message="close is not a number",
    )
