"""Typed identifiers and the deterministic derivation of ids.

Ids of derived things are uuid5 of their cause, so the same inputs always
produce the same ids (see "Determinism contract" in docs/architecture.md).
"""

from __future__ import annotations

import re
from hashlib import sha1
from typing import NewType
from uuid import UUID, SafeUUID

from domain.errors import InvalidIdentifier

Symbol = NewType("Symbol", str)
"""An instrument as ``BASE/QUOTE`` in upper case, e.g. ``BTC/USD``."""

Venue = NewType("Venue", str)
"""A venue name in lower case, e.g. ``kraken``."""

StreamId = NewType("StreamId", UUID)
"""The aggregate id under which one market-data stream is recorded."""

ImportId = NewType("ImportId", UUID)
"""The id of one import of one source into one stream (idempotence key)."""

MEMESNIPE_NAMESPACE = UUID("6f1d3c52-4c0e-5d7a-9b1e-2a7f0c9e8b41")
_NAMESPACE_BYTES = MEMESNIPE_NAMESPACE.bytes
_VERSION_BITS = (0xC000 << 48) | (0xF000 << 64)
_VERSION_5 = (0x8000 << 48) | (5 << 76)
"""RFC 4122's variant and version 5 in a UUID's integer (what ``UUID(version=5)`` sets)."""
_new, _set, _UNKNOWN_SAFETY = object.__new__, object.__setattr__, SafeUUID.unknown

_SYMBOL = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$")
_VENUE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def symbol(text: str) -> Symbol:
    """Parse a symbol; ``btc/usd`` becomes ``BTC/USD``. Raises InvalidIdentifier."""
    candidate = text.strip().upper()
    if not _SYMBOL.match(candidate):
        raise InvalidIdentifier(f"symbol must look like BASE/QUOTE (e.g. BTC/USD), got {text!r}")
    return Symbol(candidate)


def venue(text: str) -> Venue:
    """Parse a venue name (lower case letters, digits, underscore). Raises InvalidIdentifier."""
    candidate = text.strip().lower()
    if not _VENUE.match(candidate):
        raise InvalidIdentifier(f"venue must be a short lower-case name, got {text!r}")
    return Venue(candidate)


def derive_id(*parts: str) -> UUID:
    """uuid5 of the joined parts under the project namespace: same parts, same id.

    ``uuid.uuid5`` spelled out with the namespace's bytes computed once (ids are derived
    for every order), and the UUID made without its constructor's checks."""
    digest = sha1(_NAMESPACE_BYTES + "\x1f".join(parts).encode()).digest()  # noqa: S324 -- uuid5 is SHA-1
    # ``UUID(bytes=digest[:16], version=5)`` without its checks: the same UUID, for less work.
    derived: UUID = _new(UUID)
    _set(derived, "int", (int.from_bytes(digest[:16], "big") & ~_VERSION_BITS) | _VERSION_5)
    _set(derived, "is_safe", _UNKNOWN_SAFETY)
    return derived


class NumberedIds:
    """``derive_id(*parts, str(n))`` for n = 1, 2, 3, ...: the ids of a stream's numbered things
    (a strategy's orders by signal number), derived a block ahead at a time. The same ids; a
    block of them in one loop keeps the hashing and UUID code warm, where one derived alone amid
    the engine's other work is not."""

    __slots__ = ("_block", "_first", "_ids", "_parts")

    def __init__(self, *parts: str, block: int = 256) -> None:
        self._parts, self._block = parts, block
        self._first = 1
        self._ids: list[UUID] = []

    def __getitem__(self, number: int) -> UUID:
        """The id of number ``number`` (1 or more)."""
        index = number - self._first
        if not 0 <= index < len(self._ids):
            self._first, index = number, 0
            parts = self._parts
            self._ids = [derive_id(*parts, str(n)) for n in range(number, number + self._block)]
        return self._ids[index]


def market_stream_id(venue_name: Venue, instrument: Symbol, kind: str) -> StreamId:
    """The stream holding one kind (``bar``, ``trade``, ``quote``) of data for one instrument."""
    return StreamId(derive_id("market", venue_name, instrument, kind))


def import_id(stream: StreamId, source_digest: str) -> ImportId:
    """The idempotence key of importing a source (by content digest) into a stream."""
    return ImportId(derive_id("import", str(stream), source_digest))
