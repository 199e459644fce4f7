"""Accounting identities that must hold after any sequence of fills."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.trading.book import AccountBook
from domain.trading.fills import FillBook, FillExceedsOrder

QUANTITIES = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4)
PRICES = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(100_000), places=8)
FEES = st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=6)
FILLS = st.lists(st.tuples(st.sampled_from(["buy", "sell"]), QUANTITIES, PRICES, FEES), max_size=40)


@settings(max_examples=300)
@given(FILLS, PRICES)
def test_cash_plus_marked_positions_equals_start_plus_pnl_minus_fees(
    fills: list[tuple[str, Decimal, Decimal, Decimal]], mark: Decimal
) -> None:
    account = AccountBook(Decimal(1_000_000), [("s1", "X/USD")])
    for side, quantity, price, fee in fills:
        account.apply_fill(account.holdings[0], side, quantity, price, fee)  # type: ignore[arg-type]
    position = account.positions.get("s1")
    if position is None:
        assert account.cash == account.starting_cash
        return
    left = account.cash + position.quantity * mark
    right = account.starting_cash + position.realized_pnl + position.unrealized_pnl(mark) - position.fees
    assert left == right


@given(QUANTITIES, st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), QUANTITIES), max_size=30))
def test_no_fill_ever_exceeds_the_order_and_repeats_never_double(
    quantity: Decimal, fills: list[tuple[str, Decimal]]
) -> None:
    book = FillBook(quantity)
    counted: dict[str, Decimal] = {}
    for trade_id, size in fills:
        try:
            if book.record(trade_id, size):
                counted[trade_id] = size
        except FillExceedsOrder:
            pass
        assert book.filled <= quantity
    assert book.filled == sum(counted.values(), Decimal(0))
