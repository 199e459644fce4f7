"""Every event type round-trips exactly through the codec and the library's mapper."""

from __future__ import annotations

import types
import typing
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import ALL_EVENT_TYPES, Event
from infrastructure.store.codec import EventCodec
from infrastructure.store.ledger import MsgspecMapper

DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.adjusted()) < 60
)
TEXT = st.text(max_size=2_000)


def strategy_for(annotation: Any) -> st.SearchStrategy[Any]:
    origin = get_origin(annotation)
    if annotation is Decimal:
        return DECIMALS
    if annotation is UUID:
        return st.uuids()
    if annotation is int:
        return st.integers(min_value=-(2**63), max_value=2**63 - 1)
    if annotation is str:
        return TEXT
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if origin in (types.UnionType, typing.Union):
        return st.one_of(*[strategy_for(arg) for arg in get_args(annotation)])
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    if annotation is bytes:
        return st.binary(max_size=128)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return struct_strategy(annotation)
    if origin is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=5).map(tuple)
        return st.tuples(*[strategy_for(arg) for arg in args])
    raise TypeError(f"add a strategy for {annotation!r}")


def struct_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: strategy_for(hints[f.name]) for f in msgspec.structs.fields(cls)}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


def event_strategy(cls: type[Event]) -> st.SearchStrategy[Event]:
    strategy: st.SearchStrategy[Event] = struct_strategy(cls)
    return strategy


ANY_EVENT = st.one_of(*[event_strategy(cls) for cls in ALL_EVENT_TYPES.values()])


@pytest.mark.parametrize("topic", sorted(ALL_EVENT_TYPES))
def test_every_event_type_has_a_strategy(topic: str) -> None:
    # Building the strategy raises TypeError for a field type it cannot generate.
    assert event_strategy(ALL_EVENT_TYPES[topic]) is not None


@settings(max_examples=400)
@given(ANY_EVENT)
def test_codec_round_trip_is_exact(event: Event) -> None:
    codec = EventCodec(compress_from=256)
    decoded = codec.decode(type(event).TOPIC, codec.encode(event))
    assert decoded == event
    assert type(decoded) is type(event)
    for field in msgspec.structs.fields(event):
        original, again = getattr(event, field.name), getattr(decoded, field.name)
        assert type(original) is type(again)
        if isinstance(original, Decimal):
            assert original.as_tuple() == again.as_tuple()
    assert codec.encode(decoded) == codec.encode(event)


@settings(max_examples=200)
@given(ANY_EVENT)
def test_library_mapper_round_trip_is_exact(event: Event) -> None:
    mapper = MsgspecMapper(EventCodec())
    stored = mapper.to_stored_event(event)
    assert stored.topic == type(event).TOPIC
    assert (stored.originator_id, stored.originator_version) == (
        event.originator_id,
        event.originator_version,
    )
    assert mapper.to_domain_event(stored) == event


@settings(max_examples=100)
@given(ANY_EVENT)
def test_encoding_is_deterministic(event: Event) -> None:
    assert EventCodec().encode(event) == EventCodec().encode(event)
