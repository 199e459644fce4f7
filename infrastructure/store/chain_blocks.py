"""How the hash chain is stored: one row per appended batch, its links packed.

Each append links its events in its own transaction and stores one block row:
``(last_id, first_id, links)`` where ``links`` is, per event in notification order,
notification id (8 bytes, signed, big-endian) || originator id (16 bytes) ||
version (8 bytes, signed, big-endian) || hash (32 bytes): 64 bytes a link, so a
block is read back with one ``struct.iter_unpack``. One row per batch rather than
one per event is what keeps the chain's cost on ingestion small: the database
indexes one key per batch instead of one per event (docs/performance.md).

Databases created before blocks keep their per-event rows in the older chain table;
reads merge the two in notification order (the older rows all precede the first block).
"""

from __future__ import annotations

import heapq
import itertools
import struct
from collections.abc import Iterable, Iterator, Sequence

from application.ports import ChainLink

LINK = struct.Struct(">q16sq32s")


def pack(links: Iterable[tuple[int, bytes, int, bytes]]) -> bytes:
    """Links (notification id, originator id's 16 bytes, version, hash) as one block body."""
    pack_link = LINK.pack
    return b"".join([pack_link(*item) for item in links])


def unpack(body: bytes) -> list[ChainLink]:
    """The links of one block body, in order."""
    if len(body) % LINK.size:
        raise ValueError(f"a chain block of {len(body)} bytes is not whole links of {LINK.size} bytes")
    return [ChainLink(*item) for item in LINK.iter_unpack(body)]


def last_hash(body: bytes) -> bytes:
    """The hash of a block's last link."""
    return bytes(body[-32:])


def merged(
    older: Iterator[Sequence[ChainLink]], blocks: Iterator[Sequence[ChainLink]], page_size: int
) -> Iterator[Sequence[ChainLink]]:
    """The per-event rows and the blocks' links as one sequence in notification order, in pages
    (the blocks' own pages when there are no per-event rows, the usual case)."""
    first = next(older, None)
    if first is None:
        yield from blocks
        return
    older = itertools.chain([first], older)
    page: list[ChainLink] = []
    flat_older = (item for rows in older for item in rows)
    flat_blocks = (item for rows in blocks for item in rows)
    for item in heapq.merge(flat_older, flat_blocks, key=lambda link: link.notification_id):
        page.append(item)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page
