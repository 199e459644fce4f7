"""What every projection needs to know about a session: its account, strategies and orders.

Fills name only their order; the order names its strategy and symbol; the
session names the account. Each projection keeps its own context (so a
projection depends on nothing but the log).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import msgspec

from domain.events import OrderSubmitted, SessionStarted
from domain.events.trading import RiskDecision

NS_PER_DAY = 86_400 * 10**9
EPOCH = date(1970, 1, 1)
DEFAULT_ACCOUNT = "default"
PCT_QUANTUM = Decimal("0.000001")


class OrderContext(msgspec.Struct, frozen=True, gc=False):
    """Who an order belongs to (a struct: much cheaper to build than a frozen dataclass, and built
    twice for every order in each of three projections)."""

    account: str
    strategy_id: str
    symbol: str
    side: str
    venue: str


class SessionContext:
    """The current session's account and currency, and every order's owner."""

    def __init__(self) -> None:
        self.account = DEFAULT_ACCOUNT
        self.starting_cash = Decimal(0)
        self.venue = ""
        self.orders: dict[object, OrderContext] = {}

    def start(self, event: SessionStarted) -> None:
        """A new session: its account and starting cash apply from here on."""
        self.account = event.account
        self.starting_cash = event.starting_cash
        self.venue = event.venue

    def decided(self, event: RiskDecision) -> OrderContext:
        """Remember an order from its risk decision (denied orders never reach a venue)."""
        found = self.orders.get(event.order_id)
        if found is None:
            found = self.orders[event.order_id] = OrderContext(
                self.account, event.strategy_id, event.symbol, event.side, self.venue
            )
        return found

    def submitted(self, event: OrderSubmitted) -> OrderContext:
        """Remember an order from its submission (the venue it went to is known here)."""
        found = self.orders[event.order_id] = OrderContext(
            self.account, event.strategy_id, event.symbol, event.side, event.venue
        )
        return found


def day_of(ts_ns: int) -> str:
    """The UTC calendar day of a timestamp, as ``YYYY-MM-DD``."""
    return (EPOCH + timedelta(days=ts_ns // NS_PER_DAY)).isoformat()


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole`` to six decimals (zero when ``whole`` is zero)."""
    if not whole:
        return Decimal(0)
    return (part * 100 / whole).quantize(PCT_QUANTUM)
