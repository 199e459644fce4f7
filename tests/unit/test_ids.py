import pytest

from domain.errors import InvalidIdentifier
from domain.ids import NumberedIds, derive_id, import_id, market_stream_id, symbol, venue


def test_symbols_and_venues_are_normalised() -> None:
    assert symbol(" btc/usd ") == "BTC/USD"
    assert venue("Kraken") == "kraken"


@pytest.mark.parametrize("text", ["BTCUSD", "BTC/", "/USD", "BTC/USD/EUR", "BT C/USD", ""])
def test_malformed_symbols_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        symbol(text)


def test_derived_ids_are_deterministic_and_distinct() -> None:
    bars = market_stream_id(venue("kraken"), symbol("BTC/USD"), "bar")
    assert bars == market_stream_id(venue("kraken"), symbol("BTC/USD"), "bar")
    assert bars != market_stream_id(venue("kraken"), symbol("BTC/USD"), "trade")
    assert bars != market_stream_id(venue("coinbase"), symbol("BTC/USD"), "bar")
    assert import_id(bars, "abc") == import_id(bars, "abc") != import_id(bars, "abd")
    assert str(bars) == "26465a5e-c81e-5ff2-b6f2-996c0740b169"


def test_numbered_ids_are_the_derived_ids_of_each_number_in_any_order() -> None:
    ids = NumberedIds("order", "stream", block=4)
    wanted = [1, 2, 3, 4, 5, 9, 6, 6, 1, 300]
    assert [ids[n] for n in wanted] == [derive_id("order", "stream", str(n)) for n in wanted]
