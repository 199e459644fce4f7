"""The typed msgspec codec for events: exact round trips, compact bytes.

Events are encoded as msgpack maps (field names kept, so old events stay
readable when fields are added with defaults); Decimal as its exact string,
UUID as 16 raw bytes. Payloads of ``compress_from`` bytes or more are zlib
compressed when that saves at least 10%: such a payload starts with the byte
0xC1, which msgpack never uses, so both forms decode without a flag column.
Small market-data events (about 150 bytes) never pay for compression.

A reader that needs only some fields of a topic's events may have them decoded into a lighter
struct (``decode_page``'s ``decode_as``): msgspec skips the other fields without building them
(a bar decoded for its close alone skips most of the cost of its five Decimals).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import msgspec

from application.ports import RecordedEvent
from domain.events import ALL_EVENT_TYPES, Event
from domain.market.columns import CloseColumns
from infrastructure.errors import StoreError
from infrastructure.store import bar_columns

COLUMNS_NATIVE = bar_columns.NATIVE
"""Whether stored bars are read as columns in C here (``close_columns``; else in Python)."""

COMPRESSED_MARKER: Final = b"\xc1"
T = TypeVar("T")
_MARKER_BYTE: Final = 0xC1

Decoders = dict[str, msgspec.msgpack.Decoder[Any]]


class UnknownTopic(StoreError):
    """A stored event has a topic this code does not know: run the code version that wrote it."""


class UndecodableEvent(StoreError):
    """Stored bytes that do not decode as their topic says: the log is corrupt or was tampered with."""


class EventCodec:
    """Encodes events to bytes and decodes them back by topic, with typed decoders."""

    def __init__(
        self,
        types: Mapping[str, type[Event]] = ALL_EVENT_TYPES,
        compress_from: int = 512,
    ) -> None:
        self._encoder = msgspec.msgpack.Encoder(decimal_format="string", uuid_format="bytes")
        self._decoders: Decoders = {topic: msgspec.msgpack.Decoder(cls) for topic, cls in types.items()}
        self._partial: dict[frozenset[tuple[str, type[Any]]], Decoders] = {}
        self._as_type: dict[tuple[str, type[Any]], msgspec.msgpack.Decoder[Any]] = {}
        self._compress_from = compress_from

    def encode(self, event: Event) -> bytes:
        """The stored bytes of ``event``."""
        body = self._encoder.encode(event)
        if len(body) >= self._compress_from:
            packed = zlib.compress(body, 6)
            if len(packed) * 10 < len(body) * 9:
                return COMPRESSED_MARKER + packed
        return body

    def decode_page(
        self, rows: Sequence[tuple[int, str, bytes]], decode_as: Mapping[str, type[Any]] | None = None
    ) -> list[RecordedEvent]:
        """``decode`` over a page of (notification id, topic, bytes) rows, the same events with the same
        errors: the per-row call and error handling are taken out of the loop (a log read would pay
        them for every event). Topics in ``decode_as`` are decoded into its struct."""
        decoders = self._decoders if not decode_as else self._partial_decoders(decode_as)
        page: list[RecordedEvent] = []
        append = page.append
        try:
            for notification_id, topic, data in rows:
                decoder = decoders.get(topic)
                if decoder is None or (data and data[0] == _MARKER_BYTE):
                    append(RecordedEvent(notification_id, self._decode(decoders, topic, data)))
                else:
                    append(RecordedEvent(notification_id, decoder.decode(data)))
        except msgspec.DecodeError:
            _, topic, data = rows[len(page)]
            self._decode(decoders, topic, data)  # the failing row: raises its UndecodableEvent
            raise
        return page

    def _partial_decoders(self, decode_as: Mapping[str, type[Any]]) -> Decoders:
        # The typed decoders with those of ``decode_as`` in place (built once per mapping).
        key = frozenset(decode_as.items())
        found = self._partial.get(key)
        if found is None:
            unknown = sorted(set(decode_as) - set(self._decoders))
            if unknown:
                raise UnknownTopic(f"unknown event topics {unknown!r}")
            found = self._partial[key] = {
                **self._decoders,
                **{topic: msgspec.msgpack.Decoder(cls) for topic, cls in decode_as.items()},
            }
        return found

    def decode(self, topic: str, data: bytes) -> Event:
        """The event stored as ``data`` under ``topic``; raises UnknownTopic or a decode error."""
        event: Event = self._decode(self._decoders, topic, data)
        return event

    def decode_many(self, topic: str, states: Sequence[bytes], as_type: type[T]) -> list[T]:
        """Events stored under ``topic``, each decoded into ``as_type`` (the topic's class, or a struct
        naming some of its fields, as ``decode_page``'s ``decode_as``); errors as ``decode``'s."""
        decoder = self._decoder_as(topic, as_type)
        decode, decoders = decoder.decode, {topic: decoder}
        try:  # a compressed state starts with a byte no msgpack value starts with: it fails here
            return list(map(decode, states))
        except msgspec.DecodeError:
            pass  # one at a time, as below, decompressing where marked
        decoded: list[T] = []
        append = decoded.append
        try:
            for data in states:
                if data and data[0] == _MARKER_BYTE:
                    append(self._decode(decoders, topic, data))
                else:
                    append(decode(data))
        except msgspec.DecodeError:
            self._decode(decoders, topic, states[len(decoded)])  # raises its UndecodableEvent
            raise
        return decoded

    def decoder(self, topic: str, as_type: type[T]) -> Callable[[bytes], T]:
        """``decode_many`` for one event at a time, its lookups done once: for a reader that decodes
        a few of many events it holds (a page's bars that act)."""
        decoder = self._decoder_as(topic, as_type)
        decode, decoders = decoder.decode, {topic: decoder}

        def decode_one(data: bytes) -> T:
            if data and data[0] != _MARKER_BYTE:
                try:
                    return decode(data)  # type: ignore[no-any-return]
                except msgspec.DecodeError:
                    pass
            return self._decode(decoders, topic, data)  # type: ignore[no-any-return]  # its error

        return decode_one

    def close_columns(self, states: Sequence[bytes], symbol: str) -> CloseColumns | None:
        """Stored bars, all of ``symbol``, as columns of their times, closes and volumes read
        straight from their bytes (``bar_columns``: in C where built); None where a state is not
        a plain bar of ``symbol`` whose close and volume read exactly (the caller decodes those
        the ordinary way)."""
        return bar_columns.close_columns(states, symbol)

    def _decoder_as(self, topic: str, as_type: type[Any]) -> msgspec.msgpack.Decoder[Any]:
        decoder = self._as_type.get((topic, as_type))
        if decoder is None:
            if topic not in self._decoders:
                raise UnknownTopic(f"unknown event topic {topic!r}")
            decoder = self._as_type[(topic, as_type)] = msgspec.msgpack.Decoder(as_type)
        return decoder

    @staticmethod
    def _decode(decoders: Decoders, topic: str, data: bytes) -> Any:
        try:
            decoder = decoders[topic]
        except KeyError:
            raise UnknownTopic(f"unknown event topic {topic!r}") from None
        try:
            if data and data[0] == _MARKER_BYTE:
                data = zlib.decompress(memoryview(data)[1:])
            return decoder.decode(data)
        except (msgspec.DecodeError, zlib.error) as error:
            raise UndecodableEvent(f"stored {topic} event does not decode: {error}") from None
