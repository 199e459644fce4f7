"""The account as everything but the engine reads it: cash, each strategy's holding, what open
orders reserve, and the last prices. Equity is computed here and nowhere else.

The engine owns the book and is the only writer; the risk engine, the report and the audit read
it. Positions are kept per strategy (each strategy trades one symbol), in the session's order of
strategies, and equity sums them in that order, so every reader gets the same Decimal.

Refused prices count against the account: a position is marked at the worse of its symbol's
last accepted close and a close the market-data guards refused since (``mark_price``), so a
crash beyond the guards' band shows in equity at once, while orders are still sized at the
last accepted close. The projections apply the same rule to the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.trading.position import Position, Side

ZERO = Decimal(0)


def worse_price(quantity: Decimal, accepted: Decimal, refused: Decimal | None) -> Decimal:
    """What a position of ``quantity`` is marked at: the worse for it of the last accepted close and
    a refused one (the lower for a long position, the higher for a short one)."""
    if refused is None:
        return accepted
    return min(accepted, refused) if quantity > 0 else max(accepted, refused)


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

    __slots__ = (
        "cash",
        "fills_applied",
        "holdings",
        "last_prices",
        "positions",
        "refused_prices",
        "reserved_cash",
        "starting_cash",
    )

    def __init__(self, starting_cash: Decimal, holdings: Sequence[tuple[str, str]]) -> None:
        self.starting_cash = starting_cash
        self.cash = starting_cash
        """Cash after every fill."""
        self.positions: dict[str, Position] = {}
        """Each strategy's position with its cost basis, realized P&L and fees (strategies with a
        fill only)."""
        self.holdings = tuple(Holding(strategy_id, symbol) for strategy_id, symbol in holdings)
        self.reserved_cash = ZERO
        """Cash open buys may still consume (fees and slippage included)."""
        self.last_prices: dict[str, Decimal] = {}
        """Each symbol's last accepted close: what orders are sized at."""
        self.refused_prices: dict[str, Decimal] = {}
        """Each symbol's latest refused close since its last accepted one (see the module)."""
        self.fills_applied = 0
        """Fills taken into the book so far (a reader's cheap test that nothing moved)."""

    def accept(self, symbol: str, close: Decimal) -> None:
        """A close the guards admitted: the symbol's last price, and no refused one pending."""
        self.last_prices[symbol] = close
        if self.refused_prices:
            self.refused_prices.pop(symbol, None)

    def refuse(self, symbol: str, close: Decimal) -> None:
        """A close the guards refused: counted against positions until a close is accepted."""
        self.refused_prices[symbol] = close

    def mark_price(self, holding: Holding) -> Decimal:
        """What ``holding`` is marked at (``worse_price``)."""
        symbol = holding.symbol
        refused = self.refused_prices.get(symbol) if self.refused_prices else None
        accepted = self.last_prices.get(symbol, refused)
        assert accepted is not None, "a holding of a symbol with no price"
        return worse_price(holding.quantity, accepted, refused)

    def equity(self) -> Decimal:
        """Cash plus every holding at its mark price (``equity_of``): the one equity."""
        mark = self.mark_price
        return equity_of(self.cash, [(h.quantity, mark(h)) for h in self.holdings if h.quantity])

    def accepted_equity(self) -> Decimal:
        """Cash plus every holding at its last accepted close (what confirmed marks take)."""
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
        position = self.positions.get(strategy_id)
        if position is None:
            return self.starting_cash
        return self.starting_cash + position.realized_pnl - position.fees

    def strategy_value(self, holding: Holding, price: Decimal) -> Decimal:
        """A strategy's own equity with its position marked at ``price``."""
        value = self.flat_value(holding.strategy_id)
        if not holding.quantity:
            return value
        return value + (holding.quantity * price - self.positions[holding.strategy_id].cost_basis)

    def apply_fill(
        self, holding: Holding, side: Side, quantity: Decimal, price: Decimal, fee: Decimal
    ) -> Position:
        """Move cash and the holding for one fill; the strategy's position after it."""
        position = self.positions.get(holding.strategy_id)
        if position is None:
            position = self.positions[holding.strategy_id] = Position()
        position.apply_fill(side, quantity, price, fee)
        notional = quantity * price
        self.cash += (-notional if side == "buy" else notional) - fee
        holding.quantity = position.quantity
        self.fills_applied += 1
        return position
