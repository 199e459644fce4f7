"""A page's runs of one symbol's bars: where each scan of the engine must stop at the latest."""

from __future__ import annotations

import msgspec

from application.engine.bar_pages import Input, symbol_runs
from domain.events import Bar, Event
from tests.factories import bars, rejected_row


def page_of(symbols: str) -> list[Input]:
    """``A``/``B``: a bar of that symbol; ``x``: an input that is not a bar."""
    made: list[Input] = []
    for bar, symbol in zip(bars(len(symbols)), symbols, strict=True):
        made.append(
            (rejected_row(), None) if symbol == "x" else (msgspec.structs.replace(bar, symbol=symbol), None)
        )
    return made


def runs_of(symbols: str) -> list[tuple[int, int, str | None]]:
    return symbol_runs(page_of(symbols), lambda event: isinstance(event, Bar))


def test_a_page_is_cut_into_runs_of_one_symbols_bars_and_other_inputs_alone() -> None:
    assert runs_of("AABxAA") == [(0, 2, "A"), (2, 3, "B"), (3, 4, None), (4, 6, "A")]
    assert runs_of("xAB") == [(0, 1, None), (1, 2, "A"), (2, 3, "B")]
    assert runs_of("ABAB") == [(0, 1, "A"), (1, 2, "B"), (2, 3, "A"), (3, 4, "B")]


def test_a_page_of_one_symbols_bars_is_one_run() -> None:
    assert runs_of("AAAA") == [(0, 4, "A")]
    assert runs_of("") == []


def test_only_what_the_test_says_is_a_bar_starts_a_run() -> None:
    def never(event: Event) -> bool:
        return False

    assert symbol_runs(page_of("AB"), never) == [(0, 1, None), (1, 2, None)]
