"""The chain's canonical encoding is a published format: pin it."""

import hashlib
from uuid import UUID

from domain.audit.chain import GENESIS, canonical, link, links


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


def test_linking_a_batch_gives_the_links_of_linking_one_by_one() -> None:
    events = [
        (n, UUID(int=n * 7919).bytes, n % 3, topic, bytes(range(n % 256)) * (n % 5))
        for n, topic in enumerate(["market.Bar", "oms.Order.Filled", "é", "market.Bar"] * 5, 1)
    ]
    head, expected = GENESIS, []
    for notification_id, originator, version, topic, state in events:
        head = link(head, notification_id, originator, version, topic, state)
        expected.append((notification_id, originator, version, head))
    assert links(GENESIS, events) == expected
