"""The equity curve's runs render as Decimal's own values: texts, floats and JSON alike.

The C ``render`` gives, for each close of a long run, the text ``str()`` gives ``cash + quantity *
close`` computed in Decimal, as a JSON string, and the float ``float()`` gives it; where Decimal
would round (28 digits or more), a value is zero, or cash or quantity has more than 18 digits, it
declines (None) and the curve is rendered in Decimal. ``EquityCurve`` keeps values, repeats and
marks as runs and reads them back as those very Decimals (digits and exponent), floats and JSON.
"""

from __future__ import annotations

import struct
from array import array
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.reporting import equity_curve
from application.reporting.equity_curve import EquityCurve
from domain.market.columns import CloseColumns

native = pytest.mark.skipif(not equity_curve.NATIVE, reason="the C marks were not built here")


def _decimal(coefficient: int, exponent: int) -> Decimal:
    return Decimal(coefficient).scaleb(exponent)


_NUMBERS = st.builds(_decimal, st.integers(-(10**12), 10**12), st.integers(-12, 6))
_COEFFICIENTS = st.one_of(st.integers(-(10**9), 10**9), st.integers(-(10**17), 10**17))
_CLOSES = st.lists(st.tuples(_COEFFICIENTS, st.integers(-20, 20)), min_size=1, max_size=40)


def _columns(closes: list[tuple[int, int]]) -> CloseColumns:
    return CloseColumns(
        array("q", range(len(closes))), array("q", [c for c, _ in closes]), array("b", [e for _, e in closes])
    )


def _texts(json: bytes) -> list[str]:
    texts: list[str] = msgspec.json.decode(json)
    return texts


def marks(
    cash: Decimal, quantity: Decimal, columns: CloseColumns, start: int, stop: int
) -> tuple[bytes, bytes] | None:
    """The C rendering of one long run (None where it declines)."""
    found: tuple[bytes, bytes] | None = equity_curve._kernel.render(
        [2, cash, quantity, columns.coefficients, columns.exponents, start, stop]
    )
    return found


@native
@given(cash=_NUMBERS, quantity=_NUMBERS, closes=_CLOSES)
@settings(max_examples=500)
def test_marks_are_the_texts_and_floats_of_decimal_arithmetic(
    cash: Decimal, quantity: Decimal, closes: list[tuple[int, int]]
) -> None:
    columns = _columns(closes)
    expected = [cash + quantity * columns.close(i) for i in range(len(closes))]
    found = marks(cash, quantity, columns, 0, len(closes))
    exact = all(
        len(value.as_tuple().digits) < 28
        and not value.is_zero()
        and len((quantity * columns.close(i)).as_tuple().digits) < 28
        for i, value in enumerate(expected)
    )
    if found is None:
        assert not exact
        return
    json, floats = found
    assert json == msgspec.json.encode(expected)
    assert _texts(json) == [str(value) for value in expected]
    assert list(struct.unpack(f"{len(closes)}d", floats)) == [float(value) for value in expected]


@native
def test_notation_follows_decimal_str() -> None:
    columns = _columns([(5, -9), (123, 4), (1, -7), (15, 0)])
    found = marks(Decimal(0).scaleb(-9), Decimal(1), columns, 0, 4)
    assert found is not None
    assert _texts(found[0]) == ["5E-9", "1230000.000000000", "1.00E-7", "15.000000000"]
    scientific = marks(Decimal(0).scaleb(3), Decimal(1), columns, 1, 2)
    assert scientific is not None and _texts(scientific[0]) == ["1.230E+6"] == [
        str(Decimal("0E+3") + columns.close(1))
    ]
    negative = marks(Decimal("-0.50"), Decimal("-2"), columns, 3, 4)
    assert negative is not None and _texts(negative[0]) == [str(Decimal("-0.50") + Decimal(-2) * 15)]


@native
def test_marks_decline_what_decimal_would_round_or_sign_by_its_rules() -> None:
    one = Decimal(1)
    assert marks(Decimal(0), one, _columns([(0, 0)]), 0, 1) is None  # zero
    assert marks(Decimal(10) ** 27, one, _columns([(1, -2)]), 0, 1) is None  # 29 digits
    assert marks(one, Decimal(10**15), _columns([(10**15, 0)]), 0, 1) is None  # a product of 31
    assert marks(Decimal(10**19), one, _columns([(1, 0)]), 0, 1) is None  # cash of 20 digits
    assert marks(Decimal("Infinity"), one, _columns([(1, 0)]), 0, 1) is None
    assert marks(one, Decimal("NaN"), _columns([(1, 0)]), 0, 1) is None
    assert equity_curve._kernel.render([1, Decimal("0.00"), 2, None, None, None, None]) is None  # a zero
    assert equity_curve._kernel.render([0, Decimal(10**19), None, None, None, None, None]) is None


@native
def test_render_refuses_runs_out_of_shape() -> None:
    columns = _columns([(1, 0)])
    render = equity_curve._kernel.render
    with pytest.raises(ValueError, match="out of shape"):
        render([2, Decimal(1), Decimal(1), columns.coefficients, columns.exponents, 0, 2])
    with pytest.raises(ValueError, match="seven items each"):
        render([0, Decimal(1)])
    with pytest.raises(ValueError, match="unknown run"):
        render([5, Decimal(1), None, None, None, None, None])
    with pytest.raises(TypeError):
        render([2, Decimal(1), Decimal(1), None, None, None, None])


@native
def test_render_refuses_lengths_that_do_not_fit_and_reads_what_it_was_given() -> None:
    columns = _columns([(1, 0)])
    render = equity_curve._kernel.render
    with pytest.raises(ValueError, match="bad length"):  # stop - start beyond the machine's integers
        render([2, Decimal(1), Decimal(1), columns.coefficients, columns.exponents, -(2**62), 2**63 - 1])
    with pytest.raises(ValueError, match="bad length"):
        render([1, Decimal(1), 2**62, None, None, None, None])
    runs: list[object] = []

    class Emptying(Decimal):
        # A value whose str() empties the runs (their items freed) while they are rendered.
        def __str__(self) -> str:
            runs.clear()
            return super().__str__()

    runs += [0, Emptying("1.5"), None, None, None, None, None, 1, Decimal("2.25"), 2, None, None, None, None]
    json, floats = render(runs)
    assert json == b'["1.5","2.25","2.25"]' and array("d", floats).tolist() == [1.5, 2.25, 2.25]


@given(
    runs=st.lists(
        st.one_of(
            st.tuples(st.just("extend"), st.lists(_NUMBERS, max_size=5)),
            st.tuples(st.just("repeat"), _NUMBERS, st.integers(0, 5)),
            st.tuples(st.just("marks"), _NUMBERS, _NUMBERS, _CLOSES),
            st.tuples(st.just("marks"), st.just(Decimal(10) ** 27), _NUMBERS, _CLOSES),  # in Decimal
        ),
        max_size=6,
    ),
    native_marks=st.booleans(),
)
@settings(max_examples=300)
def test_the_runs_read_back_as_the_decimals_they_stand_for(
    runs: list[tuple[object, ...]], native_marks: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        if not native_marks:  # the marks rendered in Decimal, as where the C module is not built
            patch.setattr(equity_curve, "_kernel", None)
        _check_runs(runs)


def _check_runs(runs: list[tuple[object, ...]]) -> None:
    curve, expected = EquityCurve(), []
    for run in runs:
        if run[0] == "extend":
            values = run[1]
            assert isinstance(values, list)
            curve.extend(values)
            expected += values
        elif run[0] == "repeat":
            value, count = run[1], run[2]
            assert isinstance(value, Decimal) and isinstance(count, int)
            curve.repeat(value, count)
            expected += [value] * count
        else:
            cash, quantity, closes = run[1], run[2], run[3]
            assert isinstance(cash, Decimal) and isinstance(quantity, Decimal) and isinstance(closes, list)
            columns = _columns(closes)
            curve.marks(cash, quantity, columns, 1, len(closes))
            expected += [cash + quantity * columns.close(i) for i in range(1, len(closes))]
    assert len(curve) == len(expected)
    if expected:  # the last value alone, before the curve is rendered (the statistics' final equity)
        assert curve[-1].as_tuple() == Decimal(expected[-1]).as_tuple()
    assert [v.as_tuple() for v in curve] == [v.as_tuple() for v in expected]
    assert curve[:] == expected and (not expected or curve[-1].as_tuple() == expected[-1].as_tuple())
    assert list(curve.floats()) == [float(v) for v in expected]
    assert curve.json() == msgspec.json.encode(expected)
    assert [str(v) for v in curve.values] == [str(v) for v in expected]


def test_the_curve_reads_texts_as_their_decimals_and_compares_as_a_list() -> None:
    curve = EquityCurve([Decimal("1.50"), "2.250"])
    curve.append(Decimal(3))
    assert curve == [Decimal("1.50"), Decimal("2.250"), Decimal(3)]
    assert str(curve[1]) == "2.250" and curve[-1] == 3 and len(curve) == 3
    curve.repeat(Decimal("4.0"), 2)
    assert curve.values[-2:] == ["4.0", "4.0"] and curve[-2:] == [Decimal("4.0")] * 2 and len(curve) == 5
    assert curve.json() == b'["1.50","2.250","3","4.0","4.0"]'
