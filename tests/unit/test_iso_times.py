from hypothesis import given
from hypothesis import strategies as st

from application.reporting.iso_times import iso_timestamps
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
