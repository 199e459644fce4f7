from decimal import Decimal

import pytest

from domain.errors import InvalidMarketData
from domain.market.values import MAX_TIMESTAMP_NS, format_timestamp, parse_decimal, parse_timestamp

NS = 1_000_000_000
T = 1_700_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1700000000", T * NS),
        ("1700000000.5", T * NS + NS // 2),
        ("1700000000000", T * NS),
        ("1700000000000123", T * NS + 123_000),
        ("1700000000000000001", T * NS + 1),
        ("2023-11-14T22:13:20Z", T * NS),
        ("2023-11-14T22:13:20+00:00", T * NS),
        ("2023-11-14 22:13:20", T * NS),
        ("2023-11-14T23:13:20+01:00", T * NS),
        ("2023-11-14T22:13:20.250000Z", T * NS + NS // 4),
        (" 1700000000 ", T * NS),
    ],
)
def test_timestamps_in_every_common_form_parse_to_nanoseconds(text: str, expected: int) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2023-13-45",
        "-5",
        "nan",
        "12:30",
        "1e30",  # past what a store holds (a signed 64-bit count of nanoseconds: 2262)
        "1e400",
        "99999999999999999999999",
        "2263-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",  # before 1970
        "1969-12-31T23:59:59Z",
    ],
)
def test_unreadable_timestamps_are_refused_with_bad_timestamp(text: str) -> None:
    with pytest.raises(InvalidMarketData) as refused:
        parse_timestamp(text)
    assert refused.value.reason == "bad_timestamp"


def test_the_last_representable_nanosecond_is_accepted() -> None:
    assert parse_timestamp(str(MAX_TIMESTAMP_NS)) == MAX_TIMESTAMP_NS
    assert parse_timestamp("2262-04-11T23:47:16.854775Z") == MAX_TIMESTAMP_NS - 807


@pytest.mark.parametrize("text", [None, "", "   "])
def test_missing_timestamp_is_refused_as_missing(text: str | None) -> None:
    with pytest.raises(InvalidMarketData) as refused:
        parse_timestamp(text)
    assert refused.value.reason == "missing_field"


def test_decimals_keep_their_exact_digits() -> None:
    assert str(parse_decimal("price", "0.10000000")) == "0.10000000"
    assert parse_decimal("price", "1e-8") == Decimal("0.00000001")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not_a_number"),
        ("NaN", "not_finite"),
        ("inf", "not_finite"),
        ("-Infinity", "not_finite"),
        ("", "missing_field"),
        (None, "missing_field"),
    ],
)
def test_bad_numbers_are_refused_with_their_reason(text: str | None, reason: str) -> None:
    with pytest.raises(InvalidMarketData) as refused:
        parse_decimal("price", text)
    assert refused.value.reason == reason


def test_format_timestamp_is_exact_to_the_microsecond() -> None:
    assert format_timestamp(T * NS + 123_456_789) == "2023-11-14T22:13:20.123456+00:00"
