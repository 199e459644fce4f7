"""The engine's market-data guards: a jump past the band is refused until prints and time confirm it."""

from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

import msgspec

from domain.events import Bar
from domain.risk.limits import RiskLimits
from domain.risk.market_guard import MarketGuard
from tests.factories import bars

SECOND = 10**9


def bar(close: str, seconds: int) -> Bar:
    ts = 1_700_000_000 * SECOND + seconds * SECOND
    value = D(close)
    return msgspec.structs.replace(
        bars(1)[0], ts_event=ts, ts_recv=ts, open=value, high=value, low=value, close=value
    )


def refusals(guard: MarketGuard, closes: list[tuple[str, int]]) -> list[str | None]:
    return [
        None if (refusal := guard.admit(bar(close, at))) is None else refusal.reason for close, at in closes
    ]


def test_a_jump_on_one_minute_bars_is_believed_at_the_second_agreeing_print() -> None:
    guard = MarketGuard(RiskLimits())
    assert refusals(guard, [("100", 0), ("70", 60), ("70.5", 120), ("71", 180)]) == [
        None,
        "price_deviation",
        None,
        None,
    ]
    assert guard.reference == D("71")


def test_prints_a_second_apart_need_ten_seconds_to_confirm_a_jump() -> None:
    guard = MarketGuard(RiskLimits())
    got = refusals(guard, [("100", 0)] + [("70", 1 + second) for second in range(12)])
    assert got[1:11] == ["price_deviation"] * 10, "ten seconds of agreeing prints are not yet enough"
    assert got[11] is None, "the print ten seconds after the first confirms the level"


def test_a_print_that_disagrees_starts_the_count_again() -> None:
    guard = MarketGuard(RiskLimits())
    got = refusals(guard, [("100", 0), ("70", 60), ("40", 120), ("40.2", 180)])
    assert got == [None, "price_deviation", "price_deviation", None]


def test_how_many_prints_and_how_long_are_limits() -> None:
    guard = MarketGuard(RiskLimits(price_confirm_prints=3, price_confirm_ns=0))
    got = refusals(guard, [("100", 0), ("70", 1), ("70", 2), ("70", 3)])
    assert got == [None, "price_deviation", "price_deviation", None]
