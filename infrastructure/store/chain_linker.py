"""Linking a batch of stored events into the hash chain (``domain.audit.chain.links``), packed as a
block (``chain_blocks.pack``): what every append of the ledger's does in its own transaction.

Linking is done in Python: a C linker, measured on the appends it served (ingestion into
PostgreSQL and SQLite, where hashing overlaps the server's insert or runs in the writer's
process), saved nothing measurable and was removed. A run log's loader links its rows in C
itself (``_loader.c``, ``chain_link.h``).
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.audit.chain import links
from infrastructure.store.chain_blocks import pack


def link_block(
    previous: bytes,
    ids: Sequence[int],
    originators: Sequence[bytes | str],
    versions: Sequence[int],
    topics: Sequence[str],
    states: Sequence[bytes | bytearray],
) -> tuple[bytes, bytes]:
    """The block body (``chain_blocks``' format) linking these events after the hash ``previous``,
    and the last event's hash (``previous`` for none). Columns of equal length, in notification
    order; originators as 16 bytes or their 32 hex digits."""
    if not len(ids) == len(originators) == len(versions) == len(topics) == len(states):
        raise ValueError("the columns of a block must be of equal length")
    raw = [bytes.fromhex(o) if isinstance(o, str) else o for o in originators]
    linked = links(previous, zip(ids, raw, versions, topics, states, strict=True))  # type: ignore[arg-type]
    return pack(linked), linked[-1][3] if linked else previous
