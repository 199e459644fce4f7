"""The event base class and the topic registry.

Every event names the aggregate (stream) it belongs to and its position in
it, which is all ``eventsourcing`` needs of a domain event. Topics are
explicit strings such as ``"market.Bar"``: never a module path, so code can
move without rewriting the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar, TypeVar
from uuid import UUID

import msgspec

ALL_EVENT_TYPES: dict[str, type[Event]] = {}

_TOPIC = re.compile(r"^[a-z]+(\.[A-Z][A-Za-z]*)+$")

E = TypeVar("E", bound="type[Event]")


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Base of every recorded event: immutable, typed, Decimal for money.

    ``gc=False``: events hold only scalars and tuples of scalars, so they can
    never be part of a reference cycle; untracked, the decoded events of a long
    read give the cyclic garbage collector nothing to walk.
    """

    TOPIC: ClassVar[str] = ""
    IS_INPUT: ClassVar[bool] = False
    """Inputs come from outside and are replayed as recorded; the rest are decisions."""

    originator_id: UUID
    originator_version: int


def event_topic(topic: str) -> Callable[[E], E]:
    """Class decorator: give an event class its stable topic and register it."""
    if not _TOPIC.match(topic):
        raise ValueError(f"topic must look like 'area.Thing[.Happened]', got {topic!r}")

    def register(cls: E) -> E:
        if topic in ALL_EVENT_TYPES:
            raise ValueError(f"topic {topic!r} is already used by {ALL_EVENT_TYPES[topic]!r}")
        cls.TOPIC = topic
        ALL_EVENT_TYPES[topic] = cls
        return cls

    return register
