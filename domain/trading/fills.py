"""Fills of one order: deduplicated by trade id, never beyond the order's quantity."""

from __future__ import annotations

from decimal import Decimal

from domain.errors import DomainError


class FillExceedsOrder(DomainError):
    """A fill would take the filled quantity beyond the order's; it was refused."""


class FillBook:
    """What has been filled of one order; ``record`` tells a new fill from a repeat."""

    __slots__ = ("_trade_ids", "filled", "quantity")

    def __init__(self, quantity: Decimal) -> None:
        if quantity <= 0:
            raise ValueError(f"order quantity must be positive, got {quantity}")
        self.quantity = quantity
        self.filled = Decimal(0)
        self._trade_ids: set[str] = set()

    @property
    def remaining(self) -> Decimal:
        """Quantity still open."""
        return self.quantity - self.filled

    def record(self, trade_id: str, quantity: Decimal) -> bool:
        """True for a new fill (now counted), False for a repeat of a known trade id.

        Raises FillExceedsOrder (and counts nothing) if it would overfill the order.
        """
        if trade_id in self._trade_ids:
            return False
        if quantity <= 0:
            raise ValueError(f"fill quantity must be positive, got {quantity}")
        if self.filled + quantity > self.quantity:
            raise FillExceedsOrder(
                f"fill {trade_id} of {quantity} exceeds the remaining {self.remaining} "
                f"of an order for {self.quantity}"
            )
        self._trade_ids.add(trade_id)
        self.filled += quantity
        return True
