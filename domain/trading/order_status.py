"""The order lifecycle as data: a transition table and one function that enforces it.

DENIED is our risk engine saying no (before anything is sent); REJECTED is
the venue saying no. Terminal states admit no transition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from domain.errors import DomainError


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    INITIALIZED = "initialized"
    DENIED = "denied"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = OrderStatus
TRANSITIONS: Final[dict[OrderStatus, frozenset[OrderStatus]]] = {
    S.INITIALIZED: frozenset({S.DENIED, S.SUBMITTED}),
    # A venue may report a fill before its acknowledgement arrives.
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}),
    S.DENIED: frozenset(),
    S.REJECTED: frozenset(),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
TERMINAL: Final = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)


class IllegalOrderTransition(DomainError):
    """An order was asked to move where its lifecycle does not allow; the order is unchanged."""


def transition(current: OrderStatus, target: OrderStatus, order_id: object = "") -> OrderStatus:
    """``target`` if the table allows it from ``current``; raises IllegalOrderTransition, naming
    ``order_id`` (formatted only then: transitions are on every order's path)."""
    if target not in TRANSITIONS[current]:
        name = f"order {order_id} " if order_id else "order "
        raise IllegalOrderTransition(f"{name}cannot become {target.name}: it was {current.name}")
    return target
