"""Stored bars read as close columns (``_bar_columns.c``) give exactly what the codec decodes.

Each close comes back as the very Decimal the codec would make of its stored text (digits and
exponent), each time as stored; a page the reader cannot read exactly (compressed, another
symbol, a close it does not take as it is) is refused whole, for the ordinary decoding.
"""

from __future__ import annotations

import zlib
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import Bar, BarClose
from infrastructure.store import codec as codec_module
from infrastructure.store.codec import EventCodec
from tests.factories import bars

pytestmark = pytest.mark.skipif(not codec_module.COLUMNS_NATIVE, reason="the C reader was not built here")

CODEC = EventCodec(compress_from=10_000)
_CLOSES = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: d.is_finite() and abs(d.as_tuple().exponent) < 120 and len(d.as_tuple().digits) < 19  # type: ignore[arg-type]
    ),
    st.builds(lambda c, e: Decimal(c).scaleb(e), st.integers(0, 10**18 - 1), st.integers(-30, 30)),
)


@given(closes=st.lists(_CLOSES, min_size=1, max_size=30), times=st.integers(-(2**63), 2**63 - 1))
@settings(max_examples=300)
def test_columns_hold_each_bars_time_and_close_as_the_codec_decodes_them(
    closes: list[Decimal], times: int
) -> None:
    page = [
        msgspec.structs.replace(bar, close=close, ts_event=times if i % 2 else i)
        for i, (bar, close) in enumerate(zip(bars(len(closes)), closes, strict=True))
    ]
    states = [CODEC.encode(bar) for bar in page]
    decoded = CODEC.decode_many(Bar.TOPIC, states, BarClose)
    columns = CODEC.close_columns(states, "BTC/USD")
    if any(close.is_zero() and close.is_signed() for close in closes):
        assert columns is None  # a negative zero's sign does not survive as an integer
        return
    assert columns is not None
    assert list(columns.ts) == [bar.ts_event for bar in decoded]
    read = [columns.close(i) for i in range(len(columns))]
    assert read == [bar.close for bar in decoded]
    assert [str(close) for close in read] == [str(bar.close) for bar in decoded]
    assert [close.as_tuple() for close in read] == [bar.close.as_tuple() for bar in decoded]


@pytest.mark.parametrize(
    "change",
    [
        {"symbol": "ETH/USD"},  # another symbol
        {"close": Decimal("-0.00")},  # a negative zero
        {"close": Decimal(2**63)},  # a coefficient beyond int64
        {"close": Decimal("1E+200")},  # an exponent beyond int8
    ],
)
def test_a_page_the_reader_cannot_read_exactly_is_refused_whole(change: dict[str, object]) -> None:
    page = bars(3)
    page[1] = msgspec.structs.replace(page[1], **change)
    assert CODEC.close_columns([CODEC.encode(bar) for bar in page], "BTC/USD") is None


def test_compressed_and_foreign_states_are_refused() -> None:
    compressed = b"\xc1" + zlib.compress(CODEC.encode(bars(1)[0]))  # as the codec stores a large event
    assert CODEC.decode(Bar.TOPIC, compressed) == bars(1)[0]
    assert CODEC.close_columns([compressed], "BTC/USD") is None
    assert CODEC.close_columns([b"\x93\x01\x02\x03"], "BTC/USD") is None  # an array, not a map
    assert CODEC.close_columns([CODEC.encode(bars(1)[0])[:-3]], "BTC/USD") is None  # cut short
    text = msgspec.msgpack.encode({"symbol": "BTC/USD", "ts_event": 5, "close": " 1.5"})
    assert CODEC.close_columns([text], "BTC/USD") is None  # text Decimal takes, but not as written
    plain = msgspec.msgpack.encode(
        {"symbol": "BTC/USD", "ts_event": 5, "close": "1.50", "x": [1, {"y": b"z"}]}
    )
    columns = CODEC.close_columns([plain], "BTC/USD")
    assert columns is not None and str(columns.close(0)) == "1.50" and list(columns.ts) == [5]
