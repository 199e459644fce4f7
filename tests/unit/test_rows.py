from decimal import Decimal

import pytest

from domain.errors import InvalidMarketData
from domain.events import Bar, Quote, TradeTick
from domain.ids import Symbol, Venue, market_stream_id
from domain.market.rows import BarParser, QuoteParser, TradeParser

V, S = Venue("kraken"), Symbol("BTC/USD")
STREAM = market_stream_id(V, S, "bar")


def bar_parser(last: int | None = None) -> BarParser:
    return BarParser(V, S, STREAM, last)


def refusal(parser: BarParser | TradeParser | QuoteParser, row: tuple[str | None, ...]) -> str:
    with pytest.raises(InvalidMarketData) as refused:
        parser.parse(row, 1)
    return refused.value.reason


def test_a_good_bar_becomes_a_bar_event_with_exact_values() -> None:
    event = bar_parser().parse(("1700000000", "100.10", "101", "99.5", "100.2", "3.25"), 7)
    assert isinstance(event, Bar)
    assert (event.open, event.high, event.low, event.close, event.volume) == (
        Decimal("100.10"),
        Decimal("101"),
        Decimal("99.5"),
        Decimal("100.2"),
        Decimal("3.25"),
    )
    assert event.originator_version == 7 and event.originator_id == STREAM
    assert event.ts_event == event.ts_recv == 1_700_000_000 * 10**9


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("1700000000", "100", "101", "99", None, "1"), "missing_field"),
        (("1700000000", "100", "101", "99", "x", "1"), "not_a_number"),
        (("1700000000", "100", "101", "99", "NaN", "1"), "not_finite"),
        (("1700000000", "100", "inf", "99", "100", "1"), "not_finite"),
        (("1700000000", "-100", "101", "99", "100", "1"), "non_positive_price"),
        (("1700000000", "100", "101", "0", "100", "1"), "non_positive_price"),
        (("1700000000", "100", "101", "99", "100", "-1"), "negative_volume"),
        (("1700000000", "100", "98", "99", "100", "1"), "high_below_low"),
        (("1700000000", "100", "101", "99", "102", "1"), "ohlc_inconsistent"),
        (("soon", "100", "101", "99", "100", "1"), "bad_timestamp"),
    ],
)
def test_malformed_bars_are_refused_with_a_reason(row: tuple[str | None, ...], reason: str) -> None:
    assert refusal(bar_parser(), row) == reason


def test_bars_must_move_forward_in_time() -> None:
    parser = bar_parser()
    parser.parse(("1700000060", "1", "1", "1", "1", "0"), 1)
    assert refusal(parser, ("1700000060", "1", "1", "1", "1", "0")) == "timestamp_duplicated"
    assert refusal(parser, ("1700000000", "1", "1", "1", "1", "0")) == "timestamp_out_of_order"
    parser.parse(("1700000120", "1", "1", "1", "1", "0"), 2)


def test_a_refused_row_does_not_move_the_clock() -> None:
    parser = bar_parser()
    parser.parse(("100", "1", "1", "1", "1", "0"), 1)
    refusal(parser, ("500", "-1", "1", "1", "1", "0"))
    assert parser.last_ts_event == 100 * 10**9
    parser.parse(("200", "1", "1", "1", "1", "0"), 2)


def test_parser_resumes_from_the_stream_head() -> None:
    parser = bar_parser(last=200 * 10**9)
    assert refusal(parser, ("100", "1", "1", "1", "1", "0")) == "timestamp_out_of_order"


def test_trades_may_share_a_timestamp_but_not_repeat_exactly() -> None:
    parser = TradeParser(V, S, STREAM)
    first = parser.parse(("100", "10", "1", "buy", "a1"), 1)
    assert isinstance(first, TradeTick) and first.aggressor == "buy" and first.trade_id == "a1"
    parser.parse(("100", "10", "1", "sell", "a2"), 2)
    assert refusal(parser, ("100", "10", "1", "buy", "a1")) == "timestamp_duplicated"
    parser.parse(("101", "10", "1", "buy", "a1"), 3)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("100", "10", "0", "buy", ""), "non_positive_size"),
        (("100", "0", "1", "buy", ""), "non_positive_price"),
        (("100", "10", "1", "sideways", ""), "bad_side"),
    ],
)
def test_malformed_trades_are_refused(row: tuple[str, ...], reason: str) -> None:
    assert refusal(TradeParser(V, S, STREAM), row) == reason


def test_trades_without_side_or_id_are_accepted_as_unknown() -> None:
    event = TradeParser(V, S, STREAM).parse(("100", "10", "1", None, None), 1)
    assert isinstance(event, TradeTick) and event.aggressor == "unknown" and event.trade_id == ""


def test_quotes_refuse_a_crossed_book_and_negative_sizes() -> None:
    parser = QuoteParser(V, S, STREAM)
    assert isinstance(parser.parse(("100", "9.9", "1", "10", "2"), 1), Quote)
    assert refusal(parser, ("101", "10.1", "1", "10", "2")) == "crossed_quote"
    assert refusal(parser, ("101", "9.9", "-1", "10", "2")) == "negative_volume"
