from decimal import Decimal as D  # noqa: N817 -- short for hand-worked numbers

import pytest

from domain.trading.book import AccountBook
from domain.trading.position import Position


def test_average_cost_and_realized_pnl_worked_by_hand() -> None:
    position = Position()
    position.apply_fill("buy", D(10), D(100), fee=D(1))
    position.apply_fill("buy", D(10), D(110), fee=D(1))
    assert position.average_price == D(105)
    position.apply_fill("sell", D(5), D(120), fee=D(1))
    assert position.realized_pnl == D(75)  # 5 x (120 - 105)
    assert position.quantity == D(15) and position.average_price == D(105)
    assert position.unrealized_pnl(D(100)) == D(-75)  # 15 x (100 - 105)
    assert position.fees == D(3)


def test_a_fill_through_zero_closes_then_opens_the_other_side() -> None:
    position = Position()
    position.apply_fill("buy", D(2), D(50))
    position.apply_fill("sell", D(5), D(60))
    assert position.realized_pnl == D(20)  # 2 x (60 - 50)
    assert position.quantity == D(-3) and position.average_price == D(60)
    position.apply_fill("buy", D(3), D(55))
    assert position.realized_pnl == D(35)  # + 3 x (60 - 55) on the short
    assert position.quantity == 0 and position.cost_basis == 0


def test_account_cash_and_equity() -> None:
    book = AccountBook(D(10_000), [("s1", "BTC/USD")])
    book.apply_fill(book.holdings[0], "buy", D(1), D(4_000), D(4))
    assert book.cash == D(5_996)
    book.accept("BTC/USD", D(4_100))
    assert book.equity() == D(10_096)


def test_nonsense_fills_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        Position().apply_fill("buy", D(0), D(1))
