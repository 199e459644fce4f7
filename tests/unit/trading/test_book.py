"""The account book: one equity, refused closes counted against positions, orders sized at the last
accepted close."""

from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

from domain.trading.book import AccountBook, equity_of, worse_price


def book_long(quantity: str = "10", price: str = "100") -> AccountBook:
    book = AccountBook(D(10_000), [("s1", "T/USD")])
    book.accept("T/USD", D(price))
    book.apply_fill(book.holdings[0], "buy", D(quantity), D(price), D(0))
    return book


def test_equity_is_cash_plus_each_holding_at_its_price_in_order() -> None:
    assert equity_of(D(5), [(D(2), D("1.5")), (D(-1), D(3))]) == D(5) + D(3) - D(3)


def test_a_refused_close_below_the_last_accepted_marks_a_long_position_down() -> None:
    book = book_long()
    book.refuse("T/USD", D(70))
    assert book.equity() == D(9_000) + 10 * D(70)
    assert book.accepted_equity() == D(10_000)
    assert book.last_prices["T/USD"] == D(100), "orders are still sized at the accepted close"


def test_a_refused_close_above_the_last_accepted_does_not_mark_a_long_position_up() -> None:
    book = book_long()
    book.refuse("T/USD", D(130))
    assert book.equity() == D(10_000)


def test_the_worse_price_of_a_short_position_is_the_higher() -> None:
    assert worse_price(D(-1), D(100), D(130)) == D(130) and worse_price(D(1), D(100), D(130)) == D(100)
    assert worse_price(D(1), D(100), None) == D(100)


def test_an_accepted_close_clears_the_refused_one() -> None:
    book = book_long()
    book.refuse("T/USD", D(70))
    book.accept("T/USD", D(71))
    assert book.refused_prices == {} and book.equity() == D(9_000) + 10 * D(71)
