"""A block links each event as the chain defines it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit.chain import GENESIS, link
from infrastructure.store import chain_linker
from infrastructure.store.chain_blocks import unpack

_U63 = st.integers(min_value=0, max_value=2**63 - 1)
_EVENTS = st.lists(
    st.tuples(
        _U63,
        st.binary(min_size=16, max_size=16),
        _U63,
        st.text(max_size=40),
        st.binary(max_size=700),
        st.booleans(),  # the originator given as its hex digits (as the SQLite writer has it)
        st.booleans(),  # the state as a bytearray (as the writer binds it)
    ),
    max_size=30,
)


def _columns(events: list[tuple[int, bytes, int, str, bytes, bool, bool]]) -> tuple[list, ...]:  # type: ignore[type-arg]
    return (
        [e[0] for e in events],
        [e[1].hex() if e[5] else e[1] for e in events],
        [e[2] for e in events],
        [e[3] for e in events],
        [bytearray(e[4]) if e[6] else e[4] for e in events],
    )


@given(previous=st.binary(min_size=32, max_size=32), events=_EVENTS)
@settings(max_examples=300)
def test_a_block_links_each_event_as_the_chain_defines(
    previous: bytes, events: list[tuple[int, bytes, int, str, bytes, bool, bool]]
) -> None:
    body, last = chain_linker.link_block(previous, *_columns(events))
    head, expected = previous, []
    for notification_id, originator, version, topic, state, _, _ in events:
        head = link(head, notification_id, originator, version, topic, state)
        expected.append((notification_id, originator, version, head))
    stored = [(i.notification_id, i.originator_id, i.originator_version, i.hash) for i in unpack(body)]
    assert stored == expected
    assert last == head


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        chain_linker.link_block(GENESIS, [1, 2], [bytes(16)], [1], ["t"], [b""])


def test_no_events_leave_the_head_where_it_was() -> None:
    assert chain_linker.link_block(GENESIS, [], [], [], [], []) == (b"", GENESIS)
