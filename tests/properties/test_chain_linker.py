"""The C chain linker gives exactly the Python linker's bytes, and both the chain's own links."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit.chain import GENESIS, link
from infrastructure.store import chain_linker
from infrastructure.store.chain_blocks import unpack
from infrastructure.store.chain_linker import link_block_python

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


@pytest.mark.skipif(
    not chain_linker.NATIVE and os.environ.get("CI", "").lower() != "true",
    reason="the C linker was not built here (no compiler or OpenSSL headers): nothing to compare",
)
@given(previous=st.binary(min_size=32, max_size=32), events=_EVENTS)
@settings(max_examples=300)
def test_the_c_linker_gives_the_python_linkers_bytes(
    previous: bytes, events: list[tuple[int, bytes, int, str, bytes, bool, bool]]
) -> None:
    assert chain_linker.NATIVE, "CI=true: the C chain linker must be built (gcc and OpenSSL headers)"
    columns = _columns(events)
    assert chain_linker.link_block(previous, *columns) == link_block_python(previous, *columns)


@pytest.mark.skipif(not chain_linker.NATIVE, reason="the C linker was not built here")
@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        (0, -1, ValueError),
        (1, b"short", ValueError),
        (1, "not hex" * 5, ValueError),
        (1, 7, TypeError),
        (2, -3, ValueError),
        (3, b"market.Bar", TypeError),
        (3, "x" * 70_000, ValueError),
        (4, 12, TypeError),
    ],
)
def test_the_c_linker_refuses_what_the_chain_cannot_encode(column: int, value: object, error: type) -> None:
    columns = [[1], [bytes(16)], [1], ["market.Bar"], [b"state"]]
    columns[column] = [value]
    with pytest.raises(error):
        chain_linker.link_block(GENESIS, *columns)  # type: ignore[arg-type]


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        chain_linker.link_block(GENESIS, [1, 2], [bytes(16)], [1], ["t"], [b""])


def test_no_events_leave_the_head_where_it_was() -> None:
    assert chain_linker.link_block(GENESIS, [], [], [], [], []) == (b"", GENESIS)


@pytest.mark.skipif(not chain_linker.NATIVE, reason="the C linker was not built here")
def test_a_batch_whose_lists_change_while_it_is_read_links_what_was_given() -> None:
    topics = [f"topic.{i}" * 3 for i in range(50)]  # made here: the lists hold their only references
    states = [bytes([i]) * 40 for i in range(50)]
    expected = link_block_python(
        GENESIS, list(range(1, 51)), [bytes(16)] * 50, [1] * 50, list(topics), list(states)
    )

    class Emptying:
        # An id whose __index__ empties the other columns (their items freed) while the batch is read.
        def __init__(self, value: int) -> None:
            self.value = value

        def __index__(self) -> int:
            topics.clear()
            states.clear()
            return self.value

    ids: list[object] = [1, Emptying(2), *range(3, 51)]
    assert chain_linker.link_block(GENESIS, ids, [bytes(16)] * 50, [1] * 50, topics, states) == expected  # type: ignore[arg-type]
