"""A long position's marks over columns, computed in C, are Decimal's own, text and float alike.

``marks`` gives, for each close, the text ``str()`` gives ``cash + quantity * close`` computed
in Decimal, and the float ``float()`` gives it; where Decimal would round (28 digits or more) or
the sum is zero, it declines (None) and the caller computes in Decimal. ``EquityCurve`` reads a
text back as that very Decimal.
"""

from __future__ import annotations

import struct
from array import array
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.reporting import equity_curve
from application.reporting.equity_curve import EquityCurve, marks, parts
from domain.market.columns import CloseColumns

pytestmark = pytest.mark.skipif(not equity_curve.NATIVE, reason="the C marks were not built here")


def _decimal(coefficient: int, exponent: int) -> Decimal:
    return Decimal(coefficient).scaleb(exponent)


_NUMBERS = st.builds(_decimal, st.integers(-(10**12), 10**12), st.integers(-12, 6))
_COEFFICIENTS = st.one_of(st.integers(-(10**9), 10**9), st.integers(-(10**17), 10**17))
_CLOSES = st.lists(st.tuples(_COEFFICIENTS, st.integers(-20, 20)), min_size=1, max_size=40)


def _columns(closes: list[tuple[int, int]]) -> CloseColumns:
    return CloseColumns(
        array("q", range(len(closes))), array("q", [c for c, _ in closes]), array("b", [e for _, e in closes])
    )


@given(value=st.one_of(_NUMBERS, st.decimals(allow_nan=False, allow_infinity=False)))
def test_parts_are_the_coefficient_and_exponent_of_the_decimal(value: Decimal) -> None:
    _, digits, exponent = value.as_tuple()
    found = parts(value)
    if len(digits) > 18:
        assert found is None
        return
    assert found is not None
    coefficient, found_exponent = found
    assert found_exponent == exponent and abs(coefficient) < 10**18
    assert str(Decimal(coefficient).scaleb(exponent)) == str(value) or (value.is_zero() and coefficient == 0)


@given(cash=_NUMBERS, quantity=_NUMBERS, closes=_CLOSES)
@settings(max_examples=500)
def test_marks_are_the_texts_and_floats_of_decimal_arithmetic(
    cash: Decimal, quantity: Decimal, closes: list[tuple[int, int]]
) -> None:
    columns = _columns(closes)
    expected = [cash + quantity * columns.close(i) for i in range(len(closes))]
    found = marks(parts(cash), parts(quantity), columns, 0, len(closes))
    exact = all(
        len(value.as_tuple().digits) < 28
        and not value.is_zero()
        and len((quantity * columns.close(i)).as_tuple().digits) < 28
        for i, value in enumerate(expected)
    )
    if found is None:
        assert not exact
        return
    texts, floats = found
    assert texts == [str(value) for value in expected]
    assert list(struct.unpack(f"{len(closes)}d", floats)) == [float(value) for value in expected]
    assert EquityCurve(texts)[:] == expected
    assert [v.as_tuple() for v in EquityCurve(texts)] == [v.as_tuple() for v in expected]


def test_notation_follows_decimal_str() -> None:
    columns = _columns([(5, -9), (123, 4), (1, -7), (15, 0)])
    found = marks(parts(Decimal(0).scaleb(-9)), parts(Decimal(1)), columns, 0, 4)
    assert found is not None
    assert found[0] == ["5E-9", "1230000.000000000", "1.00E-7", "15.000000000"]
    scientific = marks(parts(Decimal(0).scaleb(3)), parts(Decimal(1)), columns, 1, 2)
    assert scientific is not None and scientific[0] == ["1.230E+6"] == [
        str(Decimal("0E+3") + columns.close(1))
    ]


def test_marks_decline_what_decimal_would_round_or_sign_by_its_rules() -> None:
    one = parts(Decimal(1))
    assert marks(parts(Decimal(0)), one, _columns([(0, 0)]), 0, 1) is None  # zero
    assert marks(parts(Decimal(10) ** 27), one, _columns([(1, -2)]), 0, 1) is None  # 29 digits
    assert marks(one, parts(Decimal(10**15)), _columns([(10**15, 0)]), 0, 1) is None  # a product of 31
    assert parts(Decimal(10**19)) is None and parts(Decimal("-1.50")) == (-150, -2)


def test_the_curve_reads_texts_as_their_decimals_and_compares_as_a_list() -> None:
    curve = EquityCurve([Decimal("1.50"), "2.250"])
    curve.append(Decimal(3))
    assert curve == [Decimal("1.50"), Decimal("2.250"), Decimal(3)]
    assert str(curve[1]) == "2.250" and curve[-1] == 3 and len(curve) == 3
