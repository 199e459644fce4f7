"""The stand-alone verifier reads every event's stored bytes as the codec wrote them.

The script decodes the stored msgpack itself (standard library only) to check that an
export's readable ``event`` fields are what the chained bytes hold; for any event of any
type, what it decodes must equal msgspec's own reading and agree with the exported JSON.
"""

from __future__ import annotations

import json
import zlib
from decimal import Decimal

import msgspec
from hypothesis import given, settings

from domain.events import Bar, Event
from infrastructure.store.codec import EventCodec
from tests.factories import bars
from tests.properties.test_codec_roundtrip import ANY_EVENT
from tests.verifier import verifier

CODEC = EventCodec(compress_from=256)
READABLE = msgspec.json.Encoder(decimal_format="string")


def readable(event: Event) -> object:
    return json.loads(READABLE.encode(event))


@settings(max_examples=400)
@given(ANY_EVENT)
def test_the_script_reads_stored_bytes_as_msgspec_does_and_as_the_export_shows_them(event: Event) -> None:
    v = verifier()
    stored = CODEC.encode(event)
    fields = v.stored_fields(stored)
    body = stored if stored[:1] != b"\xc1" else zlib.decompress(stored[1:])
    assert fields == msgspec.msgpack.decode(body)
    assert v.same(readable(event), fields)


def test_a_changed_readable_field_no_longer_matches_the_stored_bytes() -> None:
    v = verifier()
    [bar] = bars(1)
    fields = v.stored_fields(CODEC.encode(bar))
    for changed in (
        msgspec.structs.replace(bar, close=bar.close + Decimal("0.01")),
        msgspec.structs.replace(bar, ts_event=bar.ts_event + 1),
        msgspec.structs.replace(bar, symbol="ETH/USD"),
    ):
        assert not v.same(readable(changed), fields)
    shown = readable(bar)
    assert isinstance(shown, dict)
    assert not v.same({**shown, "extra": 1}, fields)
    assert not v.same({**shown, "ts_event": str(bar.ts_event)}, fields)  # types count, not just text
    assert v.same(shown, fields)


def test_compressed_bytes_are_read_too() -> None:
    v = verifier()
    bar: Bar = msgspec.structs.replace(bars(1)[0], venue="x" * 600)
    stored = CODEC.encode(bar)
    assert stored[:1] == b"\xc1"
    assert v.same(readable(bar), v.stored_fields(stored))
