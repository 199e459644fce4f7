"""Stored bars read as columns (``bar_columns``: ``_bar_columns.c``, and the same in Python) give
exactly what the codec decodes.

Each close and volume comes back as the very Decimal the codec would make of its stored text
(digits and exponent), each time as stored; a page the reader cannot read exactly (compressed,
another symbol, a number it does not take as it is) is refused whole, for the ordinary decoding.
The C reader and the Python one give the same bytes.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Sequence
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import Bar
from domain.market.columns import CloseColumns
from infrastructure.store import bar_columns
from infrastructure.store.bar_columns import Columns, columns_in_python
from infrastructure.store.codec import EventCodec
from tests.factories import bars

CODEC = EventCodec(compress_from=10_000)
_NUMBERS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: d.is_finite() and abs(d.as_tuple().exponent) < 120 and len(d.as_tuple().digits) < 19  # type: ignore[arg-type]
    ),
    st.builds(lambda c, e: Decimal(c).scaleb(e), st.integers(0, 10**18 - 1), st.integers(-30, 30)),
    st.builds(lambda c, e: Decimal(c).scaleb(e), st.integers(2**63 - 8, 2**63 + 8), st.integers(-3, 3)),
)
_TIMES = st.integers(-(2**63), 2**63 - 1)

Reader = Callable[[Sequence[bytes], str], Columns | None]
READERS: dict[str, Reader] = {"python": columns_in_python}
if bar_columns.NATIVE:
    READERS["c"] = bar_columns._bar_columns.close_columns
    READERS["c packed"] = lambda states, symbol: bar_columns._bar_columns.close_columns_packed(
        b"".join(states), array("q", [0, *_ends(states)]).tobytes(), symbol
    )


def _ends(states: Sequence[bytes]) -> list[int]:
    ends, at = [], 0
    for state in states:
        at += len(state)
        ends.append(at)
    return ends


def _read(reader: Reader, states: list[bytes], symbol: str = "BTC/USD") -> CloseColumns | None:
    columns = reader(states, symbol)
    if columns is None:
        return None
    return CloseColumns(*(array(code, data) for code, data in zip("qqbqqb", columns, strict=True)))


def _exactly(value: Decimal) -> bool:
    _, digits, exponent = value.as_tuple()
    coefficient = int("".join(map(str, digits)))
    return not (value.is_zero() and value.is_signed()) and coefficient < 2**63 and -128 <= exponent <= 127  # type: ignore[operator]


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@given(
    closes=st.lists(_NUMBERS, min_size=1, max_size=30),
    volumes=st.lists(_NUMBERS, min_size=30, max_size=30),
    times=_TIMES,
    received=_TIMES,
)
@settings(max_examples=150, deadline=None)
def test_columns_hold_each_bars_times_close_and_volume_as_the_codec_decodes_them(
    reader: Reader, closes: list[Decimal], volumes: list[Decimal], times: int, received: int
) -> None:
    page = [
        msgspec.structs.replace(
            bar, close=close, volume=volume, ts_event=times if i % 2 else i, ts_recv=received if i % 3 else -i
        )
        for i, (bar, close, volume) in enumerate(zip(bars(len(closes)), closes, volumes, strict=False))
    ]
    states = [CODEC.encode(bar) for bar in page]
    decoded = [CODEC.decode(Bar.TOPIC, state) for state in states]
    columns = _read(reader, states)
    if not all(_exactly(bar.close) and _exactly(bar.volume) for bar in page):
        assert columns is None  # a negative zero's sign, or a number beyond int64 or int8
        return
    assert columns is not None
    assert list(columns.ts) == [bar.ts_event for bar in decoded]  # type: ignore[attr-defined]
    assert list(columns.ts_recv) == [bar.ts_recv for bar in decoded]  # type: ignore[attr-defined]
    for field, read in (("close", columns.close), ("volume", columns.volume)):
        values = [read(i) for i in range(len(columns))]
        stored = [getattr(bar, field) for bar in decoded]
        assert values == stored
        assert [str(value) for value in values] == [str(value) for value in stored]
        assert [value.as_tuple() for value in values] == [value.as_tuple() for value in stored]


@pytest.mark.skipif(not bar_columns.NATIVE, reason="the C reader was not built here")
@given(
    closes=st.lists(_NUMBERS, min_size=1, max_size=20),
    volume=_NUMBERS,
    times=_TIMES,
    cut=st.integers(0, 5),
)
@settings(max_examples=300, deadline=None)
def test_the_c_reader_and_the_python_one_give_the_same_bytes(
    closes: list[Decimal], volume: Decimal, times: int, cut: int
) -> None:
    page = [
        msgspec.structs.replace(bar, close=close, volume=volume, ts_recv=times)
        for bar, close in zip(bars(len(closes)), closes, strict=True)
    ]
    states = [CODEC.encode(bar) for bar in page]
    if cut:
        states[-1] = states[-1][:-cut]  # a state cut short: both refuse the page
    assert bar_columns._bar_columns.close_columns(states, "BTC/USD") == columns_in_python(states, "BTC/USD")


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize(
    "change",
    [
        {"symbol": "ETH/USD"},  # another symbol
        {"close": Decimal("-0.00")},  # a negative zero
        {"close": Decimal(2**63)},  # a coefficient beyond int64
        {"close": Decimal("1E+200")},  # an exponent beyond int8
        {"volume": Decimal("-0")},
        {"volume": Decimal(2**64)},
        {"volume": Decimal("1E-129")},
    ],
)
def test_a_page_the_reader_cannot_read_exactly_is_refused_whole(
    reader: Reader, change: dict[str, object]
) -> None:
    page = bars(3)
    page[1] = msgspec.structs.replace(page[1], **change)
    assert _read(reader, [CODEC.encode(bar) for bar in page]) is None


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_compressed_and_foreign_states_are_refused(reader: Reader) -> None:
    compressed = b"\xc1" + zlib.compress(CODEC.encode(bars(1)[0]))  # as the codec stores a large event
    assert CODEC.decode(Bar.TOPIC, compressed) == bars(1)[0]
    assert _read(reader, [compressed]) is None
    assert _read(reader, [b"\x93\x01\x02\x03"]) is None  # an array, not a map
    assert _read(reader, [CODEC.encode(bars(1)[0])[:-3]]) is None  # cut short
    fields = {"symbol": "BTC/USD", "ts_event": 5, "ts_recv": 6, "close": "1.50", "volume": "2E+3"}
    for field, text in (("close", " 1.5"), ("volume", "1_000"), ("close", "+1"), ("volume", "Infinity")):
        # text Decimal takes, but not as str(Decimal) writes it
        assert _read(reader, [msgspec.msgpack.encode({**fields, field: text})]) is None
    for missing in ("ts_recv", "volume"):
        assert (
            _read(reader, [msgspec.msgpack.encode({k: v for k, v in fields.items() if k != missing})]) is None
        )
    assert _read(reader, [msgspec.msgpack.encode({**fields, "ts_recv": 2**63})]) is None  # beyond int64
    plain = msgspec.msgpack.encode({**fields, "x": [1, {"y": b"z"}]})
    columns = _read(reader, [plain])
    assert columns is not None and str(columns.close(0)) == "1.50" and list(columns.ts) == [5]
    assert list(columns.ts_recv) == [6] and str(columns.volume(0)) == "2E+3"


def test_the_codec_reads_columns_in_python_where_c_is_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    states = [CODEC.encode(bar) for bar in bars(4)]
    native = CODEC.close_columns(states, "BTC/USD")
    monkeypatch.setattr(bar_columns, "_bar_columns", None)
    assert CODEC.close_columns(states, "BTC/USD") == native
    assert CODEC.close_columns(states, "ETH/USD") is None
