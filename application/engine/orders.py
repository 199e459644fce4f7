"""The engine's working set of orders: status by the transition table, fills deduplicated."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from domain.events.trading import Purpose, Side
from domain.trading.fills import FillBook
from domain.trading.order_status import TERMINAL, OrderStatus, transition


@dataclass(slots=True)
class TrackedOrder:
    """One order the engine submitted: what it asked for and what came back."""

    order_id: UUID
    strategy_id: str
    symbol: str
    side: Side
    quantity: Decimal
    purpose: Purpose
    reserved_cash: Decimal
    pending_notional: Decimal = Decimal(0)
    """For a buy: the exposure it may still add, at the reference price (the risk engine counts it)."""
    reference_price: Decimal = Decimal(0)
    submitted_ns: int = 0
    status: OrderStatus = OrderStatus.SUBMITTED
    fills: FillBook = field(init=False)

    def __post_init__(self) -> None:
        self.fills = FillBook(self.quantity)

    def move_to(self, target: OrderStatus) -> None:
        """Change status as the table allows; raises IllegalOrderTransition otherwise."""
        self.status = transition(self.status, target, self.order_id)

    @property
    def is_open(self) -> bool:
        """Still working at the venue."""
        return self.status not in TERMINAL
