"""The hash chain over the log: h_n = SHA-256(h_{n-1} || canonical(event n)).

The canonical encoding of a stored event, in notification order:
notification id (8 bytes, big-endian) || originator id (16 bytes) || version (8 bytes,
big-endian) || topic length (2 bytes) || topic (UTF-8) || state length (4 bytes) || state.
It covers the stored bytes, so compression or encryption do not matter, and it names
each event's notification id, so the legitimate gaps of PostgreSQL ids are part of the
chain rather than a problem for it. The chain starts from 32 zero bytes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

GENESIS = bytes(32)


_FIXED = struct.Struct(">Q16sQH")
_LENGTH = struct.Struct(">I")
_TOPICS: dict[str, bytes] = {}
_sha256 = hashlib.sha256


def canonical(notification_id: int, originator_id: bytes, version: int, topic: str, state: bytes) -> bytes:
    """The bytes of one stored event that the chain covers (``originator_id``: its 16 bytes)."""
    name = _TOPICS.get(topic)
    if name is None:
        name = _TOPICS[topic] = topic.encode()
    fixed = _FIXED.pack(notification_id, originator_id, version, len(name))
    return b"".join((fixed, name, _LENGTH.pack(len(state)), state))


def link(
    previous: bytes, notification_id: int, originator_id: bytes, version: int, topic: str, state: bytes
) -> bytes:
    """The chain hash of an event, given the hash before it."""
    return _sha256(previous + canonical(notification_id, originator_id, version, topic, state)).digest()


def links(
    previous: bytes, events: Iterable[tuple[int, bytes, int, str, bytes]]
) -> list[tuple[int, bytes, int, bytes]]:
    """``link`` over many events in notification order, for the writers that chain whole batches.

    Each event is (notification id, originator id's 16 bytes, version, topic, state); each
    link is (notification id, originator id, version, hash). The same bytes as ``link``:
    one struct per topic packs the fixed fields, the topic and the state's length in one call.
    """
    out = []
    packers: dict[str, tuple[struct.Struct, bytes]] = {}
    sha256 = _sha256
    for notification_id, originator, version, topic, state in events:
        packer = packers.get(topic)
        if packer is None:
            name = topic.encode()
            packer = packers[topic] = (struct.Struct(f">Q16sQH{len(name)}sI"), name)
        head, name = packer
        fields = head.pack(notification_id, originator, version, len(name), name, len(state))
        previous = sha256(b"".join((previous, fields, state))).digest()
        out.append((notification_id, originator, version, previous))
    return out


def checkpoint_message(head_id: int, head_hash: bytes) -> bytes:
    """What a checkpoint signs: a fixed label, the head's notification id and its hash."""
    return b"memesnipe-checkpoint-v1" + head_id.to_bytes(8, "big", signed=True) + head_hash
