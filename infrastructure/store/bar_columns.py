"""Stored bars read as columns (``CloseColumns``): in C where ``_bar_columns.c`` was built, else
the same columns in Python.

A page of bars, all of one symbol, becomes each bar's ``ts_event`` and ``ts_recv`` and its close
and volume as the (coefficient, exponent) of their Decimals, read from the msgpack maps the codec
stores. A page with any state that is not a plain bar of the symbol whose close and volume read
exactly (see ``_bar_columns.c``: the number's text as ``str(Decimal)`` writes it, a coefficient
under 2**63, an exponent within int8, no negative zero) gives None, and the caller decodes it the
ordinary way. ``columns_in_python`` gives the very bytes the C reader gives
(tests/unit/test_bar_columns.py compares them, and both with the codec).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from typing import Any

import msgspec

from application.ports import PackedStates
from domain.market.columns import CloseColumns
from infrastructure.pure_python import pure_python
from infrastructure.store.sqlite_versions import same_sqlite

_bar_columns: Any = None
if not pure_python("columns"):
    try:
        from infrastructure.store import _bar_columns  # type: ignore[attr-defined,no-redef]
    except ImportError:  # not built here: the columns are read in Python
        _bar_columns = None

NATIVE = _bar_columns is not None
"""Whether stored bars are read as columns in C here."""

StateReader: Any = _bar_columns.StateReader if NATIVE and same_sqlite(_bar_columns) else None
"""The C page reader (``_bar_columns.StateReader``), where it is built and runs on Python's own
SQLite (``sqlite_versions``); else None (pages are read through Python's sqlite3)."""

Columns = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
"""ts, close coefficients, close exponents, ts_recv, volume coefficients, volume exponents: int64
each (native order) but the exponents, int8 each."""

_INT64 = 2**63
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:\n[0-9]+(?:\.[0-9]+)?)*")
_NUMBER = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[Ee]([+-]?)([0-9]+))?")


class _BarFields(msgspec.Struct, gc=False):
    # The fields the columns hold, the numbers as their stored text.
    symbol: str
    ts_event: int
    ts_recv: int
    close: str
    volume: str


_DECODE = msgspec.msgpack.Decoder(_BarFields).decode


def close_columns(states: Sequence[bytes], symbol: str) -> CloseColumns | None:
    """The page's columns (see the module), read in C where built; None where a state is not
    read exactly."""
    if _bar_columns is None:
        columns = columns_in_python(states, symbol)
    elif isinstance(states, PackedStates):
        columns = _bar_columns.close_columns_packed(states.blob, states.offsets, symbol)
    else:
        columns = _bar_columns.close_columns(states if type(states) is list else list(states), symbol)
    if columns is None:
        return None
    return CloseColumns(*(array(code, data) for code, data in zip("qqbqqb", columns, strict=True)))


def columns_in_python(states: Sequence[bytes], symbol: str) -> Columns | None:
    """``_bar_columns.close_columns`` in Python: the same bytes, or None for the same pages."""
    if not all(type(state) is bytes for state in states):  # as C takes a list of bytes
        return None
    try:
        bars = list(map(_DECODE, states))
        if any(bar.symbol != symbol for bar in bars):
            return None
        closes = _numbers([bar.close for bar in bars])
        volumes = _numbers([bar.volume for bar in bars])
        if closes is None or volumes is None:
            return None
        ts = array("q", [bar.ts_event for bar in bars]).tobytes()  # OverflowError at 2**63, as C refuses
        ts_recv = array("q", [bar.ts_recv for bar in bars]).tobytes()
    except (msgspec.DecodeError, OverflowError):
        return None
    return ts, closes[0], closes[1], ts_recv, volumes[0], volumes[1]


def _numbers(texts: list[str]) -> tuple[bytes, bytes] | None:
    # Numbers' texts as their coefficients (int64) and exponents (int8), or None for any not read.
    joined = "\n".join(texts)
    coefficients: Sequence[int] = ()
    exponents: Sequence[int] = ()
    if _PLAIN.fullmatch(joined):  # digits[.digits] each, the codec's usual text: all at once
        try:
            coefficients = list(map(int, joined.replace(".", "").split("\n")))
        except ValueError:  # more digits than int() reads from text (leading zeros): one by one
            coefficients = ()
        exponents = [dot + 1 - len(text) if (dot := text.find(".")) >= 0 else 0 for text in texts]
    if len(coefficients) != len(texts):  # another form, or a text that holds the separator
        parts = list(map(_number, texts))
        if None in parts:
            return None
        coefficients = [part[0] for part in parts]  # type: ignore[index]
        exponents = [part[1] for part in parts]  # type: ignore[index]
    try:
        return array("q", coefficients).tobytes(), array("b", exponents).tobytes()
    except OverflowError:  # a coefficient of 2**63 or more, or an exponent outside int8
        return None


def _number(text: str) -> tuple[int, int] | None:
    # str(Decimal)'s text as (coefficient, exponent), by _bar_columns.c's rules; None otherwise.
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    sign, whole, fraction, power_sign, power = match.groups()
    digits = (whole + (fraction or "")).lstrip("0")
    if len(digits) > 19:
        return None
    coefficient = int(digits or "0")
    if coefficient >= _INT64 or (sign and not coefficient):
        return None
    exponent = 0
    if power is not None:
        power = power.lstrip("0")
        if len(power) > 7 or int(power or "0") > 1_000_009:  # C stops reading past 100000 and a digit
            return None
        exponent = -int(power or "0") if power_sign == "-" else int(power or "0")
    exponent -= len(fraction or "")
    if not -128 <= exponent <= 127:
        return None
    return (-coefficient if sign else coefficient), exponent
