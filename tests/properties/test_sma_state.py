"""sma_cross's integer sums decide exactly as version 1's Decimal sums, on every path.

The reference is ``DecimalSmas`` from the first close: version 1's arithmetic. The same closes
(any mix of decimal places, now and then too large for integers, which turns the state to
Decimal midway) go through ``on_bar`` with the integer state, and through ``scan`` of a run with columns over
the closes as columns (in C where it was built, and in Python): the same intents at the same
bars, with the same values, byte for byte.
"""

from __future__ import annotations

from array import array
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import AnyBar, BarClose
from domain.market.columns import CloseColumns
from domain.strategies import sma_state
from domain.strategies.sma_cross import SmaCross
from domain.strategies.sma_state import DecimalSmas

_CLOSES = st.lists(
    st.one_of(
        st.builds(lambda c, e: Decimal(c).scaleb(e), st.integers(1, 10**7), st.integers(-9, 2)),
        st.builds(lambda c, e: Decimal(c).scaleb(e), st.integers(1, 10**18), st.integers(-4, 0)),
    ),
    min_size=1,
    max_size=120,
)
_WINDOWS = st.tuples(st.integers(1, 6), st.integers(1, 8)).map(lambda p: (p[0], p[0] + p[1]))


def _strategy(fast: int, slow: int, decimal: bool = False) -> SmaCross:
    strategy = SmaCross({"fast": str(fast), "slow": str(slow), "size": "10"})
    if decimal:
        strategy._decimals, strategy._ints = DecimalSmas(fast, slow), None
    return strategy


def _bars(closes: list[Decimal]) -> list[tuple[BarClose, None]]:
    return [(BarClose(symbol="X/Y", ts_event=i, close=close), None) for i, close in enumerate(closes)]


def _one_by_one(strategy: SmaCross, closes: list[Decimal]) -> list[tuple[int, object]]:
    # The engine's way: the position opens after a buy and closes after a close.
    position, found = Decimal(0), []
    for index, (bar, _) in enumerate(_bars(closes)):
        intent = strategy.on_bar(bar, position)
        if intent is not None:
            found.append((index + 1, intent))
            position = Decimal(10) if intent.action == "buy" else Decimal(0)
    return found


class ColumnsRun:
    """A run of bars that has only its close columns (all a column scan reads)."""

    symbol = "T/USD"

    def __init__(self, columns: CloseColumns) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns)

    def bar(self, index: int) -> AnyBar:
        raise AssertionError("a column scan decodes no bar")

    def close(self, index: int) -> Decimal:
        return self.columns.close(index)

    def ts(self, index: int) -> int:
        return self.columns.ts[index]

    def note(self, index: int) -> AnyBar:
        raise AssertionError("a column scan notes no bar")


def _by_columns(strategy: SmaCross, closes: list[Decimal]) -> list[tuple[int, object]]:
    parts = [close.as_tuple() for close in closes]
    columns = CloseColumns(
        ts=array("q", range(len(closes))),
        coefficients=array("q", [int("".join(map(str, p.digits))) * (-1 if p.sign else 1) for p in parts]),
        exponents=array("b", [int(p.exponent) for p in parts]),
    )
    assert [columns.close(i) for i in range(len(closes))] == closes
    assert [str(columns.close(i)) for i in range(len(closes))] == [str(c) for c in closes]
    position, found, index = Decimal(0), [], 0
    while index < len(closes):
        index, intent = strategy.scan(ColumnsRun(columns), index, len(closes), position)
        if intent is not None:
            found.append((index, intent))
            position = Decimal(10) if intent.action == "buy" else Decimal(0)
    return found


@given(closes=_CLOSES, windows=_WINDOWS)
@settings(max_examples=400, deadline=None)
def test_integer_sums_decide_as_decimal_ones_one_bar_at_a_time_and_by_columns(
    closes: list[Decimal], windows: tuple[int, int]
) -> None:
    fast, slow = windows
    reference = _one_by_one(_strategy(fast, slow, decimal=True), closes)
    assert _one_by_one(_strategy(fast, slow), closes) == reference
    assert _by_columns(_strategy(fast, slow), closes) == reference
    native, sma_state._kernel = sma_state._kernel, None
    try:
        assert _by_columns(_strategy(fast, slow), closes) == reference  # the Python steps
    finally:
        sma_state._kernel = native


def test_a_close_too_large_for_integers_turns_the_sums_to_decimal_for_good() -> None:
    strategy = _strategy(2, 3)
    closes = [Decimal("1.5"), Decimal("2.25"), Decimal(10**18), Decimal("3")]
    _one_by_one(strategy, closes)
    assert strategy._ints is None and strategy._decimals is not None
    assert strategy._decimals.sums() == (
        Decimal(10**18) + Decimal("3"),
        Decimal("2.25") + Decimal(10**18) + 3,
    )
    assert str(strategy._decimals.sums()[0]) == str(Decimal("0.00") + Decimal(10**18) + Decimal("3"))


@pytest.mark.skipif(not sma_state.NATIVE, reason="the C kernel was not built here")
def test_the_kernel_refuses_a_state_whose_sums_do_not_fit_rather_than_wrap() -> None:
    columns, exponents = array("q", [3, 2, 1]), array("b", [0, 0, 0])
    ring = array("q", [0, 0, 0])
    scan = sma_state._kernel.scan
    with pytest.raises(ValueError, match="out of range"):
        scan(columns, exponents, 0, 3, ring, 0, 0, 0, 1, 2**62, 0, 0, True, False)
    ring = array("q", [-(2**62) + 1, 0, 0])  # not a ring IntSmas makes: its sums would wrap
    with pytest.raises(OverflowError):
        scan(columns, exponents, 0, 3, ring, 0, 3, 0, 1, 2**62 - 1, 2**62 - 1, 0, True, False)
    assert list(ring) == [-(2**62) + 1, 0, 0]  # refused at the first close, before it was written
    with pytest.raises(ValueError, match="out of shape"):
        scan(columns, exponents, 0, 4, ring, 0, 0, 0, 1, 0, 0, 0, True, False)
    assert scan(columns, exponents, 0, 3, array("q", [0, 0, 0]), 0, 0, 2**63 - 1, 1, 0, 0, 0, True, False)[
        :2
    ] == (
        0,
        sma_state.NEEDS_PYTHON,
    )  # a scale beyond any close's: taken by Python
