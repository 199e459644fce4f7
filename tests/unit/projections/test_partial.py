"""Partial structs: the fields a projection reads of an event, named and typed as the event's own."""

from __future__ import annotations

import typing

import msgspec
import pytest

from domain.events import ALL_EVENT_TYPES
from projections import ALL
from projections.base import Projection

PARTIAL = [(projection, topic, kind) for projection in ALL for topic, kind in projection.partial.items()]


def test_some_projection_reads_a_partial_struct() -> None:
    assert PARTIAL


@pytest.mark.parametrize(("projection", "topic", "kind"), PARTIAL)
def test_a_partial_struct_is_some_fields_of_its_event_with_the_same_types(
    projection: type[Projection], topic: str, kind: type[msgspec.Struct]
) -> None:
    event = ALL_EVENT_TYPES[topic]
    assert topic in projection.topics and topic == kind.TOPIC  # type: ignore[attr-defined]
    event_hints, partial_hints = typing.get_type_hints(event), typing.get_type_hints(kind)
    fields = kind.__struct_fields__
    assert fields and set(fields) <= set(event.__struct_fields__)
    assert {name: partial_hints[name] for name in fields} == {name: event_hints[name] for name in fields}
    assert not any(f.default is not msgspec.NODEFAULT for f in msgspec.structs.fields(kind))
