import zlib
from decimal import Decimal
from uuid import UUID

import msgspec
import pytest

from domain.errors import InvalidMarketData
from domain.events import Bar, MarketDataRejected, StoredBar
from infrastructure.store.codec import COMPRESSED_MARKER, EventCodec, UndecodableEvent, UnknownTopic
from projections.partial import BarClose

ID = UUID(int=1)


def bar() -> Bar:
    return Bar(
        originator_id=ID,
        originator_version=1,
        venue="kraken",
        symbol="BTC/USD",
        ts_event=1,
        ts_recv=2,
        open=Decimal("1.10"),
        high=Decimal("2"),
        low=Decimal("1"),
        close=Decimal("1.5"),
        volume=Decimal("0"),
    )


def rejected(raw: str) -> MarketDataRejected:
    return MarketDataRejected(
        originator_id=ID,
        originator_version=1,
        venue="kraken",
        symbol="BTC/USD",
        kind="bar",
        source="f.csv",
        line=3,
        raw=raw,
        reason="not_a_number",
        message="close is not a number",
    )


def test_small_events_are_stored_uncompressed_and_compact() -> None:
    data = EventCodec().encode(bar())
    assert not data.startswith(COMPRESSED_MARKER)
    assert len(data) < 200
    assert EventCodec().decode("market.Bar", data) == bar()


def test_large_compressible_events_are_compressed_and_round_trip() -> None:
    event = rejected("1700000000," + "x" * 3000)
    data = EventCodec().encode(event)
    assert data.startswith(COMPRESSED_MARKER)
    assert len(data) < 500
    assert EventCodec().decode(MarketDataRejected.TOPIC, data) == event


def test_incompressible_large_events_stay_raw() -> None:
    noise = "".join(chr(33 + (i * 7919) % 90) for i in range(600))
    data = EventCodec(compress_from=64).encode(rejected(noise))
    assert not data.startswith(COMPRESSED_MARKER) or len(data) < len(noise)


def test_decimal_keeps_trailing_zeros_exactly() -> None:
    decoded = EventCodec().decode("market.Bar", EventCodec().encode(bar()))
    assert isinstance(decoded, Bar) and str(decoded.open) == "1.10"


def test_an_unknown_topic_is_a_clear_error() -> None:
    with pytest.raises(UnknownTopic, match=r"market\.Nope"):
        EventCodec().decode("market.Nope", b"\x80")


def test_bytes_that_do_not_decode_are_a_store_error_naming_the_topic() -> None:
    with pytest.raises(UndecodableEvent, match=r"stored market\.Bar event does not decode"):
        EventCodec().decode("market.Bar", b"\xde\xad")
    with pytest.raises(UndecodableEvent):
        EventCodec().decode("market.Bar", b"\xc1not zlib")


def test_a_page_decodes_to_the_events_decode_gives_with_the_same_errors() -> None:
    codec = EventCodec()
    big = rejected("1700000000," + "x" * 3000)
    rows = [(3, Bar.TOPIC, codec.encode(bar())), (7, MarketDataRejected.TOPIC, codec.encode(big))]
    page = codec.decode_page(rows)
    assert [(r.notification_id, r.event) for r in page] == [(3, bar()), (7, big)]
    with pytest.raises(UnknownTopic, match=r"market\.Nope"):
        codec.decode_page([*rows, (9, "market.Nope", b"\x80")])
    with pytest.raises(UndecodableEvent, match=r"stored market\.Bar event does not decode"):
        codec.decode_page([*rows, (9, Bar.TOPIC, b"\xde\xad")])
    with pytest.raises(UndecodableEvent):
        codec.decode_page([(9, MarketDataRejected.TOPIC, b"\xc1not zlib")])


def test_a_page_decodes_the_topics_asked_for_into_their_lighter_struct() -> None:
    codec = EventCodec()
    big = rejected("1700000000," + "x" * 3000)
    rows = [(3, Bar.TOPIC, codec.encode(bar())), (7, MarketDataRejected.TOPIC, codec.encode(big))]
    page = codec.decode_page(rows, {Bar.TOPIC: BarClose})
    assert [(r.notification_id, r.event) for r in page] == [
        (3, BarClose(symbol="BTC/USD", ts_event=1, close=Decimal("1.5"))),
        (7, big),
    ]
    assert codec.decode_page(rows) == codec.decode_page(rows, {})
    with pytest.raises(UndecodableEvent, match=r"stored market\.Bar event does not decode"):
        codec.decode_page([(9, Bar.TOPIC, b"\xde\xad")], {Bar.TOPIC: BarClose})
    with pytest.raises(UnknownTopic, match=r"market\.Nope"):
        codec.decode_page(rows, {"market.Nope": BarClose})


def test_bars_read_back_as_stored_bars_hold_the_bars_values_and_bytes() -> None:
    codec = EventCodec()
    whole = bar()
    state = codec.encode(whole)
    (stored,) = codec.decode_many(Bar.TOPIC, [state], StoredBar)
    assert (stored.open, stored.high, stored.low, stored.close, stored.volume) == (
        whole.open,
        whole.high,
        whole.low,
        whole.close,
        whole.volume,
    )
    assert str(stored.open) == "1.10", "the stored text, trailing zero and all"
    assert (stored.originator_id, stored.ts_event, stored.ts_recv) == (ID, 1, 2)
    assert codec.encode(stored) == state, "its fields are the bar's, in the bar's order"


def test_decoding_many_keeps_decodes_errors() -> None:
    codec = EventCodec()
    good = codec.encode(bar())
    with pytest.raises(UnknownTopic):
        codec.decode_many("market.Nothing", [good], StoredBar)
    with pytest.raises(UndecodableEvent, match=r"market\.Bar"):
        codec.decode_many(Bar.TOPIC, [good, good[:-3]], StoredBar)
    compressed = COMPRESSED_MARKER + zlib.compress(good)
    assert codec.decode_many(Bar.TOPIC, [compressed], Bar) == [bar()]
    assert codec.decode_many(Bar.TOPIC, [good, compressed, good], Bar) == [bar()] * 3, "mixed, in order"


def test_a_decoder_of_one_event_decodes_and_refuses_as_decoding_many() -> None:
    codec = EventCodec()
    good = codec.encode(bar())
    with pytest.raises(UnknownTopic):
        codec.decoder("market.Nothing", StoredBar)
    decode = codec.decoder(Bar.TOPIC, StoredBar)
    assert decode(good) == codec.decode_many(Bar.TOPIC, [good], StoredBar)[0]
    with pytest.raises(UndecodableEvent, match=r"market\.Bar"):
        decode(good[:-3])
    assert codec.decoder(Bar.TOPIC, Bar)(COMPRESSED_MARKER + zlib.compress(good)) == bar()


def test_a_stored_bar_whose_text_is_not_a_number_is_refused_when_used() -> None:
    codec = EventCodec()
    corrupt = msgspec.msgpack.encode({**msgspec.to_builtins(bar()), "open": "abc"})
    (stored,) = codec.decode_many(Bar.TOPIC, [corrupt], StoredBar)
    assert stored.close == Decimal("1.5")
    with pytest.raises(InvalidMarketData, match="has open 'abc', not a number"):
        stored.open  # noqa: B018
    with pytest.raises(UndecodableEvent):
        codec.decode(Bar.TOPIC, corrupt)
