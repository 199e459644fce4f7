"""A backtest's bars read back from a log: one symbol's, in order, with their stored bytes."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from uuid import UUID

import msgspec

from application.backtest import BarsFromLog, run_backtest
from domain.events import Bar, StoredBar
from domain.ids import Symbol
from infrastructure.bootstrap import LedgerStore, open_ledger
from infrastructure.config import load_settings
from infrastructure.store.codec import EventCodec
from infrastructure.venues.simulated import SimulatedVenue
from tests.engine_helpers import config
from tests.factories import bars

OTHER = UUID(int=77)


def two_symbols(store: LedgerStore) -> list[Bar]:
    """BTC/USD bars with ETH/USD bars between them; returns the BTC/USD ones."""
    ours = [
        msgspec.structs.replace(b, close=close, high=max(b.high, close + 1), low=min(b.low, close - 1))
        for b, close in zip(bars(30), (Decimal(100) + (v * 7 % 11) for v in range(30)), strict=True)
    ]
    theirs = [msgspec.structs.replace(b, symbol="ETH/USD", originator_id=OTHER) for b in bars(30)]
    for start in range(0, 30, 7):
        store.log.append(ours[start : start + 7])
        store.log.append(theirs[start : start + 3])
    return ours


def test_one_symbols_bars_in_order_with_their_bytes_and_digest(store: LedgerStore) -> None:
    ours = two_symbols(store)
    codec = EventCodec()
    source = BarsFromLog(store.log, codec, Symbol("BTC/USD"), "test")
    read = [item for page in source.pages() for item in page]
    assert all(type(bar) is StoredBar for bar, _ in read)
    assert [codec.decode(Bar.TOPIC, state) for _, state in read] == ours
    assert [(bar.originator_version, bar.close, bar.high, bar.volume) for bar, _ in read] == [
        (b.originator_version, b.close, b.high, b.volume) for b in ours
    ]
    assert source.description() == {
        "source": "test",
        "sha256_of_bars": hashlib.sha256(b"".join(codec.encode(b) for b in ours)).hexdigest(),
        "bars": 30,
    }


def test_a_backtest_over_bars_read_back_decides_as_over_the_bars_themselves(store: LedgerStore) -> None:
    ours = two_symbols(store)
    cfg = config(symbol=Symbol("BTC/USD"), params=(("fast", "2"), ("size", "1"), ("slow", "3")))
    venue = lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps)  # noqa: E731
    whole = [(bar, None) for bar in ours]

    class Whole:
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(whole)

        def pages(self):  # type: ignore[no-untyped-def]
            return iter([whole])

        def description(self) -> dict[str, object]:
            return {}

    codec = EventCodec()
    with (
        open_ledger(load_settings({}, store="memory")) as a,
        open_ledger(load_settings({}, store="memory")) as b,
    ):
        read_back = run_backtest(
            a.log, codec, cfg, BarsFromLog(store.log, codec, cfg.symbol, "t"), "t", "v", venue
        )
        reference = run_backtest(b.log, codec, cfg, Whole(), "t", "v", venue)  # type: ignore[arg-type]
    assert reference.decisions > 0
    assert read_back.digest == reference.digest
    assert [str(e) for e in read_back.equity] == [str(e) for e in reference.equity]
