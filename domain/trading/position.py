"""Average-cost accounting of one instrument, and the account's cash.

The position keeps its cost basis rather than an average price, so that
after any sequence of fills, exactly (no rounding drift, while amounts fit
Decimal's 28 significant digits):

    cash + quantity x mark == starting cash + realized + unrealized(mark) - fees

Long and short are both handled; a fill that crosses zero closes the old side
at its cost and opens the new side at the fill price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Side = Literal["buy", "sell"]
ZERO = Decimal(0)
COST_QUANTUM = Decimal("1e-12")
"""A partial close takes its share of the cost basis rounded to this; every other
amount is a product or sum of inputs, so all stay exact within Decimal's 28 digits."""


@dataclass
class Position:
    """Quantity (negative when short), its cost basis, and the P&L it has realized."""

    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def average_price(self) -> Decimal:
        """Cost basis per unit; zero when flat."""
        return self.cost_basis / self.quantity if self.quantity else ZERO

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """What closing everything at ``mark`` would realize (before fees)."""
        return self.quantity * mark - self.cost_basis

    def apply_fill(self, side: Side, quantity: Decimal, price: Decimal, fee: Decimal = ZERO) -> None:
        """Account one fill; returns nothing, the position and its P&L change."""
        if quantity <= 0 or price <= 0 or fee < 0:
            raise ValueError("fill quantity and price must be positive, fee not negative")
        signed = quantity if side == "buy" else -quantity
        self.fees += fee
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            self.quantity += signed
            self.cost_basis += signed * price
            return
        closing = min(abs(signed), abs(self.quantity))
        closing_signed = closing if self.quantity > 0 else -closing
        if closing == abs(self.quantity):
            removed = self.cost_basis
        else:
            removed = (self.cost_basis * closing / abs(self.quantity)).quantize(COST_QUANTUM)
        self.realized_pnl += closing_signed * price - removed
        self.cost_basis -= removed
        self.quantity -= closing_signed
        opening = signed + closing_signed
        if opening:
            self.quantity += opening
            self.cost_basis += opening * price
