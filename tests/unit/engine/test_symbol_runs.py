"""A page's runs of one symbol's bars: where each scan of the engine must stop at the latest."""

from __future__ import annotations

import msgspec

from application.engine.engine import Input
from application.engine.session import symbol_runs
from tests.factories import bars, rejected_row


def page_of(symbols: str) -> list[Input]:
    """``A``/``B``: a bar of that symbol; ``x``: an input that is not a bar."""
    made: list[Input] = []
    for bar, symbol in zip(bars(len(symbols)), symbols, strict=True):
        made.append(
            (rejected_row(), None) if symbol == "x" else (msgspec.structs.replace(bar, symbol=symbol), None)
        )
    return made


def test_each_input_knows_where_its_run_ends() -> None:
    assert symbol_runs(page_of("AABxAA")) == [2, 2, 3, 3, 6, 6]
    assert symbol_runs(page_of("xAB")) == [0, 2, 3]
    assert symbol_runs(page_of("ABAB")) == [1, 2, 3, 4]


def test_a_page_of_one_symbols_bars_is_one_run() -> None:
    assert symbol_runs(page_of("AAAA")) is None
    assert symbol_runs([]) == []
