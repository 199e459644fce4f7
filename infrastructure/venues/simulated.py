"""The simulated venue: fills from bars (or quotes) with fee and slippage models.

- Market orders fill at the next available price: the next bar's open, or the
  opposite side of the next quote (the ask for a buy). At the end of a
  session, waiting market orders fill at the last close.
- Limit orders fill when price trades through them (at the limit, or at the
  open if it gapped beyond); stop orders trigger the same way and fill at the
  stop or at the gapped open, whichever is worse.
- Slippage: a fixed number of basis points against the order. Fee: a rate on
  the fill's notional.
Reports are venue-report input events in a stream of their own, so they are
recorded and replayed exactly as a real venue's would be. Nothing here
reads the clock: report times are the market data's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.events import (
    AnyBar,
    OrderSubmitted,
    Quote,
    VenueOrderAccepted,
    VenueOrderFilled,
    VenueOrderRejected,
    VenueReport,
)
from domain.ids import derive_id

_BPS = Decimal(10_000)
NONE: tuple[VenueReport, ...] = ()


@dataclass(frozen=True)
class VenueFaults:
    """Deterministic trouble at the simulated venue, for stress scenarios and tests.

    Orders submitted in [reject_from_ns, reject_to_ns) are rejected; orders submitted in
    [slow_from_ns, slow_to_ns) are acknowledged ``latency_ns`` late and fill no earlier.
    """

    reject_from_ns: int = 0
    reject_to_ns: int = 0
    slow_from_ns: int = 0
    slow_to_ns: int = 0
    latency_ns: int = 0


class SimulatedVenue:
    """One venue's matching for one session (orders rest in submission order)."""

    def __init__(
        self,
        name: str,
        session_id: UUID,
        fee_rate: Decimal,
        slippage_bps: Decimal,
        faults: VenueFaults | None = None,
    ) -> None:
        self.name = name
        self.stream = derive_id("venue", name, str(session_id))
        self.version = 0
        self.fee_rate = fee_rate
        self.slip = slippage_bps / _BPS
        self._resting: list[OrderSubmitted] = []
        self._eligible: dict[UUID, int] = {}
        self.faults = faults or VenueFaults()
        self._last_close: dict[str, Decimal] = {}
        self._last_ts = 0

    def submit(self, order: OrderSubmitted) -> Sequence[VenueReport]:
        """Acknowledge (or reject) at once; fills come with the next prices."""
        if order.venue != self.name:
            return (
                self._report(
                    VenueOrderRejected,
                    order,
                    order.ts_event,
                    reason=f"order for venue {order.venue} sent to {self.name}",
                ),
            )
        if order.order_type != "market" and order.price is None:
            return (
                self._report(
                    VenueOrderRejected,
                    order,
                    order.ts_event,
                    reason=f"{order.order_type} order without a price",
                ),
            )
        faults, ts = self.faults, order.ts_event
        if faults.reject_from_ns <= ts < faults.reject_to_ns:
            return (
                self._report(VenueOrderRejected, order, ts, reason="venue error: 503 service unavailable"),
            )
        if faults.slow_from_ns <= ts < faults.slow_to_ns:
            ts += faults.latency_ns
            self._eligible[order.order_id] = ts
        self._resting.append(order)
        self.version += 1
        accepted = VenueOrderAccepted(  # as ``_report`` makes it, spelled out: one a simulated order
            originator_id=self.stream,
            originator_version=self.version,
            order_id=order.order_id,
            venue=self.name,
            ts_event=ts,
            ts_recv=ts,
            venue_order_id=f"sim-{order.order_id.hex[:16]}",
        )
        return (accepted,)

    def idle(self) -> bool:
        """True when no order rests here: a bar would only be noted (its close and time)."""
        return not self._resting

    def on_bar(self, bar: AnyBar) -> Sequence[VenueReport]:
        """Fill resting orders on this bar's symbol that its prices reach."""
        self._last_close[bar.symbol] = bar.close
        self._last_ts = bar.ts_event
        if not self._resting:
            return NONE
        reports: list[VenueReport] = []
        still: list[OrderSubmitted] = []
        eligible = self._eligible
        for order in self._resting:
            waiting = eligible and eligible.get(order.order_id, 0) > bar.ts_event
            price = self._bar_price(order, bar) if order.symbol == bar.symbol and not waiting else None
            if price is None:
                still.append(order)
            else:
                eligible.pop(order.order_id, None)
                reports.append(self._fill(order, price, bar.ts_event))
        self._resting = still
        return reports

    def on_quote(self, quote: Quote) -> Sequence[VenueReport]:
        """Fill resting market orders on the quote's opposite side."""
        reports: list[VenueReport] = []
        still: list[OrderSubmitted] = []
        for order in self._resting:
            if order.symbol == quote.symbol and order.order_type == "market":
                reports.append(
                    self._fill(order, quote.ask if order.side == "buy" else quote.bid, quote.ts_event)
                )
            else:
                still.append(order)
        self._resting = still
        return reports

    def on_session_end(self) -> Sequence[VenueReport]:
        """Market orders still waiting fill at their symbol's last close."""
        reports: list[VenueReport] = []
        for order in self._resting:
            close = self._last_close.get(order.symbol)
            if order.order_type == "market" and close is not None:
                reports.append(self._fill(order, close, self._last_ts))
        self._resting = []
        return reports

    def _bar_price(self, order: OrderSubmitted, bar: AnyBar) -> Decimal | None:
        if order.order_type == "market":
            return bar.open
        limit = order.price
        assert limit is not None
        buying = order.side == "buy"
        if order.order_type == "limit":
            if buying and bar.low <= limit:
                return min(bar.open, limit)
            if not buying and bar.high >= limit:
                return max(bar.open, limit)
            return None
        if buying and bar.high >= limit:
            return max(bar.open, limit)
        if not buying and bar.low <= limit:
            return min(bar.open, limit)
        return None

    def _fill(self, order: OrderSubmitted, expected: Decimal, ts: int) -> VenueOrderFilled:
        price = expected * (1 + self.slip) if order.side == "buy" else expected * (1 - self.slip)
        quantity = order.quantity
        self.version += 1
        return VenueOrderFilled(  # as ``_report`` makes it, spelled out: one a simulated fill
            originator_id=self.stream,
            originator_version=self.version,
            order_id=order.order_id,
            venue=self.name,
            ts_event=ts,
            ts_recv=ts,
            trade_id=f"{order.order_id.hex}-1",
            side=order.side,
            quantity=quantity,
            price=price,
            fee=quantity * price * self.fee_rate,
            expected_price=expected,
        )

    def _report(
        self, kind: type[VenueReport], order: OrderSubmitted, ts: int, **fields: object
    ) -> VenueReport:
        self.version += 1
        return kind(
            originator_id=self.stream,
            originator_version=self.version,
            order_id=order.order_id,
            venue=self.name,
            ts_event=ts,
            ts_recv=ts,
            **fields,
        )
