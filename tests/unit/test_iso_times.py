from array import array

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from application.reporting import iso_times
from application.reporting.iso_times import iso_timestamps, milliseconds_json
from domain.market.values import MAX_TIMESTAMP_NS, format_timestamp

TIMES = st.one_of(
    st.integers(0, MAX_TIMESTAMP_NS),
    st.integers(0, 10**8).map(lambda minutes: minutes * 60 * 10**9),  # whole seconds: no fraction
    st.integers(0, 10**12).map(lambda micros: micros * 1_000 + 999),  # below a microsecond: floored
)


@given(st.lists(TIMES, max_size=50))
def test_iso_timestamps_are_format_timestamp_byte_for_byte(times: list[int]) -> None:
    assert iso_timestamps(times) == [format_timestamp(ts) for ts in times]


def test_iso_timestamps_at_the_ends_of_the_stored_range() -> None:
    assert iso_timestamps([0, 1_000, MAX_TIMESTAMP_NS]) == [
        "1970-01-01T00:00:00+00:00",
        "1970-01-01T00:00:00.000001+00:00",
        "2262-04-11T23:47:16.854775+00:00",
    ]


@given(st.lists(st.one_of(TIMES, st.integers(-(2**63), 2**63 - 1)), max_size=50))
def test_milliseconds_json_is_the_floored_milliseconds_array_from_c_and_from_python(times: list[int]) -> None:
    expected = msgspec.json.encode([ts // 1_000_000 for ts in times])
    assert milliseconds_json(array("q", times)) == expected  # in C where built
    assert milliseconds_json(times) == expected  # a list: numpy and msgspec


def test_milliseconds_json_is_written_in_c_where_built() -> None:
    if iso_times._kernel is not None:
        assert iso_times._kernel.milliseconds(array("q", [-1, 0, 1_999_999])) == b"[-1,0,1]"
        unaligned = memoryview(bytes(1) + array("q", [-1, -(2**63), 2**63 - 1]).tobytes())[1:].cast("q")
        assert iso_times._kernel.milliseconds(unaligned) == b"[-1,-9223372036855,9223372036854]"
