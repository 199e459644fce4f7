"""Linking a batch of stored events into the hash chain: the C linker when it was built, else
the Python one (``domain.audit.chain.links`` packed by ``chain_blocks.pack``), with the same bytes.

The C version (``_chain.c``, built by ``pip install`` where a compiler and OpenSSL's headers
are present) hashes without the interpreter lock and skips hashlib's per-call cost, most of what
the Python version spends on an event. ``NATIVE`` says which one runs (the benchmarks print it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.audit.chain import links
from domain.pure_python import pure_python
from infrastructure.store.chain_blocks import pack

_Linker = Callable[
    [bytes, Sequence[int], Sequence[bytes | str], Sequence[int], Sequence[str], Sequence[bytes | bytearray]],
    tuple[bytes, bytes],
]
_native_link_block: _Linker | None = None
if not pure_python("chain"):
    try:
        from infrastructure.store._chain import link_block as _native_link_block
    except ImportError:  # not built here: the Python linker
        _native_link_block = None

NATIVE = _native_link_block is not None


def link_block_python(
    previous: bytes,
    ids: Sequence[int],
    originators: Sequence[bytes | str],
    versions: Sequence[int],
    topics: Sequence[str],
    states: Sequence[bytes | bytearray],
) -> tuple[bytes, bytes]:
    """``link_block`` in Python."""
    raw = [bytes.fromhex(o) if isinstance(o, str) else o for o in originators]
    linked = links(previous, zip(ids, raw, versions, topics, states, strict=True))  # type: ignore[arg-type]
    return pack(linked), linked[-1][3] if linked else previous


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
    if _native_link_block is not None:
        body, last = _native_link_block(previous, ids, originators, versions, topics, states)
        return body, last
    return link_block_python(previous, ids, originators, versions, topics, states)
