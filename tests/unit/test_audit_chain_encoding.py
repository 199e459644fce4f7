"""The chain's canonical encoding is a published format: pin it."""

import hashlib
from uuid import UUID

from domain.audit.chain import GENESIS, canonical, link


def test_the_canonical_encoding_is_exactly_as_documented() -> None:
    oid = UUID(int=1).bytes
    encoded = canonical(7, oid, 3, "market.Bar", b"\x80")
    assert encoded == (
        (7).to_bytes(8, "big")
        + oid
        + (3).to_bytes(8, "big")
        + (10).to_bytes(2, "big")
        + b"market.Bar"
        + (1).to_bytes(4, "big")
        + b"\x80"
    )
    assert link(GENESIS, 7, oid, 3, "market.Bar", b"\x80") == hashlib.sha256(GENESIS + encoded).digest()
