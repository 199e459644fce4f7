from decimal import Decimal

import pytest

from domain.trading.fills import FillBook, FillExceedsOrder


def test_a_repeated_trade_id_is_recognised_and_not_counted_twice() -> None:
    book = FillBook(Decimal(10))
    assert book.record("t1", Decimal(4)) is True
    assert book.record("t1", Decimal(4)) is False
    assert book.filled == 4 and book.remaining == 6


def test_a_fill_beyond_the_order_quantity_is_refused_and_counts_nothing() -> None:
    book = FillBook(Decimal(10))
    book.record("t1", Decimal(7))
    with pytest.raises(FillExceedsOrder, match="exceeds the remaining 3"):
        book.record("t2", Decimal(4))
    assert book.filled == 7
    assert book.record("t2", Decimal(3)) is True and book.remaining == 0
