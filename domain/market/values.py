"""Parsing the text of market data into exact values, refusing what is not.

Every refusal raises ``InvalidMarketData`` with a stable reason code:

missing_field, not_a_number, not_finite, bad_timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidMarketData

NANOS_PER_SECOND = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch numbers are read by magnitude: seconds until ~5138 AD, then ms, us, ns.
_MAX_SECONDS = Decimal(10) ** 11
_MAX_MILLIS = Decimal(10) ** 14
_MAX_MICROS = Decimal(10) ** 17


def parse_decimal(field: str, text: str | None) -> Decimal:
    """An exact, finite decimal from text; refuses empty, non-numeric, NaN and infinity."""
    if text is None or not text.strip():
        raise InvalidMarketData("missing_field", f"{field} is missing")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidMarketData("not_a_number", f"{field} is not a number: {text!r}") from None
    if not value.is_finite():
        raise InvalidMarketData("not_finite", f"{field} is not finite: {text!r}")
    return value


MAX_TIMESTAMP_NS = 2**63 - 1
"""The latest timestamp a store holds: a signed 64-bit count of nanoseconds (2262-04-11)."""


def parse_timestamp(text: str | None) -> int:
    """Nanoseconds since the epoch (UTC) from ISO-8601 or epoch s/ms/us/ns.

    Epoch units are told apart by magnitude; ISO-8601 without an offset is UTC.
    """
    if text is None or not text.strip():
        raise InvalidMarketData("missing_field", "timestamp is missing")
    stripped = text.strip()
    if stripped[0].isdigit() and ("-" not in stripped and ":" not in stripped):
        return _parse_epoch(stripped)
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise InvalidMarketData("bad_timestamp", f"timestamp is not ISO-8601 or epoch: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return _in_range(
        (delta.days * 86_400 + delta.seconds) * NANOS_PER_SECOND + delta.microseconds * 1_000, text
    )


def _in_range(ts_ns: int, text: str) -> int:
    """``ts_ns`` if a stored timestamp can hold it (a signed 64-bit count of nanoseconds from
    1970, so up to 2262), else the reason it cannot."""
    if not 0 <= ts_ns <= MAX_TIMESTAMP_NS:
        raise InvalidMarketData("bad_timestamp", f"timestamp is out of range (1970 to 2262): {text!r}")
    return ts_ns


def _parse_epoch(text: str) -> int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidMarketData("bad_timestamp", f"timestamp is not a number: {text!r}") from None
    if not number.is_finite() or number < 0:
        raise InvalidMarketData("bad_timestamp", f"timestamp is out of range: {text!r}")
    if number < _MAX_SECONDS:
        scale = NANOS_PER_SECOND
    elif number < _MAX_MILLIS:
        scale = 1_000_000
    elif number < _MAX_MICROS:
        scale = 1_000
    else:
        scale = 1
    return _in_range(int(number * scale), text)


def format_timestamp(ts_ns: int) -> str:
    """ISO-8601 UTC text of a nanosecond timestamp (microsecond precision)."""
    return (_EPOCH + timedelta(0, 0, ts_ns // 1_000)).isoformat()  # positional: cheaper than keywords
