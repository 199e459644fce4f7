import pickle
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidIdentifier
from domain.ids import MEMESNIPE_NAMESPACE, NumberedIds, derive_id, import_id, market_stream_id, symbol, venue


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


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_derived_ids_are_the_standard_library_uuid5_of_the_joined_parts(parts: list[str]) -> None:
    expected = uuid.uuid5(MEMESNIPE_NAMESPACE, "\x1f".join(parts))
    derived = derive_id(*parts)
    assert derived == expected and derived.int == expected.int and hash(derived) == hash(expected)
    assert (derived.version, derived.variant, derived.is_safe) == (5, uuid.RFC_4122, expected.is_safe)
    assert str(derived) == str(expected) and pickle.loads(pickle.dumps(derived)) == expected
