"""The account as everything but the engine reads it: cash, each strategy's holding, what open
orders reserve, and the last prices. Equity is computed here and nowhere else.

The engine owns the book and is the only writer; the risk engine, the report and the audit read
it. Positions are kept per strategy (each strategy trades one symbol), in the session's order of
strategies, and equity sums them in that order, so every reader gets the same Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.trading.position import Account, Position, Side

ZERO = Decimal(0)


def equity_of(cash: Decimal, holdings: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Cash plus each (quantity, price) holding's value, added in the order given: the one
    definition of equity, for the risk engine, reports, projections and audits alike."""
    total = cash
    for quantity, price in holdings:
        total += quantity * price
    return total


@dataclass(slots=True)
class Holding:
    """One strategy's position and what its open orders promise."""

    strategy_id: str
    symbol: str
    quantity: Decimal = ZERO
    pending_sells: Decimal = ZERO
    """Quantity open sells may still take out of the position."""
    pending_buy_notional: Decimal = ZERO
    """What open buys may still add, at their reference prices (counts toward exposure)."""

    @property
    def free(self) -> Decimal:
        """The position not already being sold."""
        return self.quantity - self.pending_sells


class AccountBook:
    """Cash, holdings, reservations and last prices of one account (see the module docstring)."""

    __slots__ = ("_account", "fills_applied", "holdings", "last_prices", "reserved_cash", "starting_cash")

    def __init__(self, starting_cash: Decimal, holdings: Sequence[tuple[str, str]]) -> None:
        self.starting_cash = starting_cash
        self._account = Account(starting_cash=starting_cash)
        self.holdings = tuple(Holding(strategy_id, symbol) for strategy_id, symbol in holdings)
        self.reserved_cash = ZERO
        """Cash open buys may still consume (fees and slippage included)."""
        self.last_prices: dict[str, Decimal] = {}
        """Each symbol's last accepted close: what orders are sized at and positions marked at."""
        self.fills_applied = 0
        """Fills taken into the book so far (a reader's cheap test that nothing moved)."""

    @property
    def cash(self) -> Decimal:
        """Cash after every fill."""
        return self._account.cash

    @property
    def positions(self) -> dict[str, Position]:
        """Each strategy's position with its cost basis, realized P&L and fees (strategies with a
        fill only)."""
        return self._account.positions

    def equity(self) -> Decimal:
        """Cash plus every holding at its symbol's last price (``equity_of``)."""
        prices = self.last_prices
        return equity_of(self.cash, [(h.quantity, prices[h.symbol]) for h in self.holdings if h.quantity])

    def exposure(self, holding: Holding) -> Decimal:
        """The holding at market plus what its open buys may add."""
        held = abs(holding.quantity) * self.last_prices[holding.symbol] if holding.quantity else ZERO
        return held + holding.pending_buy_notional  # from ZERO when flat: the same exponent always

    def account_exposure(self) -> Decimal:
        """Every holding's exposure, summed in the session's order."""
        return sum((self.exposure(holding) for holding in self.holdings), ZERO)

    def flat_value(self, strategy_id: str) -> Decimal:
        """A strategy's own equity with no position open: starting cash, realized P&L, less fees."""
        position = self._account.positions.get(strategy_id)
        if position is None:
            return self.starting_cash
        return self.starting_cash + position.realized_pnl - position.fees

    def strategy_value(self, holding: Holding, price: Decimal) -> Decimal:
        """A strategy's own equity with its position marked at ``price``."""
        value = self.flat_value(holding.strategy_id)
        if not holding.quantity:
            return value
        return value + (holding.quantity * price - self._account.positions[holding.strategy_id].cost_basis)

    def apply_fill(
        self, holding: Holding, side: Side, quantity: Decimal, price: Decimal, fee: Decimal
    ) -> Position:
        """Move cash and the holding for one fill; the strategy's position after it."""
        position = self._account.apply_fill(holding.strategy_id, side, quantity, price, fee)
        holding.quantity = position.quantity
        self.fills_applied += 1
        return position
