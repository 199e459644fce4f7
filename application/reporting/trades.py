"""Round-trip trades, built from fills as the position goes from flat to flat."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

_ZERO = Decimal(0)


@dataclass(slots=True)
class RoundTrip:
    """One position from opening to flat. ``pnl`` is net of the fees of its fills."""

    strategy_id: str
    symbol: str
    entry_time: int
    entry_price: Decimal
    size: Decimal
    exit_time: int | None = None
    exit_price: Decimal | None = None
    pnl: Decimal = _ZERO
    fees: Decimal = _ZERO
    _bought_cost: Decimal = field(default=_ZERO, repr=False)
    _sold_quantity: Decimal = field(default=_ZERO, repr=False)
    _sold_value: Decimal = field(default=_ZERO, repr=False)


class TradeTracker:
    """Keeps one open round trip per strategy (long only) and the closed ones."""

    def __init__(self) -> None:
        self.closed: list[RoundTrip] = []
        self.open: dict[str, RoundTrip] = {}

    def on_fill(
        self,
        strategy_id: str,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: int,
        realized_after: Decimal,
        realized_before: Decimal,
        position_after: Decimal,
    ) -> None:
        """Account one fill of ``strategy_id`` given its position and realized P&L around it."""
        trip = self.open.get(strategy_id)
        if trip is None:
            trip = RoundTrip(strategy_id, symbol, ts, price, _ZERO)
            self.open[strategy_id] = trip
        trip.fees += fee
        if side == "buy":
            trip._bought_cost += quantity * price
            trip.size += quantity
            trip.entry_price = trip._bought_cost / trip.size
        else:
            trip._sold_quantity += quantity
            trip._sold_value += quantity * price
        trip.pnl += realized_after - realized_before
        if position_after == 0:
            trip.exit_time = ts
            trip.exit_price = trip._sold_value / trip._sold_quantity if trip._sold_quantity else price
            trip.pnl -= trip.fees
            self.closed.append(trip)
            del self.open[strategy_id]
