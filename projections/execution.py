"""Execution quality per venue: latency percentiles, slippage, reject and error rates.

Latency is acknowledgement (or first fill, when it comes first) minus submission;
percentiles are nearest-rank over every order acknowledged so far. Slippage is in
basis points, signed against the order (positive = worse than expected). A
rejection is the venue refusing an order; an error is a rejection whose reason
says the venue failed (timeouts, unavailability) rather than refused.
"""

from __future__ import annotations

from bisect import insort
from decimal import Decimal
from uuid import UUID

from domain.events import (
    Event,
    OrderSubmitted,
    VenueOrderAccepted,
    VenueOrderCancelled,
    VenueOrderFilled,
    VenueOrderRejected,
)
from projections.base import Projection, Row, Table
from projections.context import percent
from projections.orders import BPS_QUANTUM, slippage_bps

ZERO = Decimal(0)
ERROR_WORDS = ("error", "timeout", "unavailable", "timed out", "network", "exchange")


class VenueQualityRow(Row, frozen=True, kw_only=True):
    """How one venue has executed so far."""

    venue: str
    orders: int
    acknowledged: int
    rejected: int
    errors: int
    cancelled: int
    fills: int
    reject_rate_pct: Decimal
    error_rate_pct: Decimal
    latency_p50_ns: int | None
    latency_p95_ns: int | None
    latency_p99_ns: int | None
    latency_max_ns: int | None
    average_slippage_bps: Decimal | None
    worst_slippage_bps: Decimal | None


EXECUTION = Table("rm_execution_quality", VenueQualityRow, ("venue",), state=True)


def nearest_rank(ordered: list[int], pct: int) -> int | None:
    """The nearest-rank percentile of sorted values (None when there are none)."""
    if not ordered:
        return None
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


NO_RATE = percent(ZERO, Decimal(1))
"""A rate of nothing out of some orders: the same 0.000000 whatever their number."""


def _rate(count: int, orders: int) -> Decimal:
    return percent(Decimal(count), Decimal(orders)) if count or not orders else NO_RATE


class _Venue:
    def __init__(self) -> None:
        self.orders = self.acknowledged = self.rejected = self.errors = self.cancelled = self.fills = 0
        self.latencies: list[int] = []
        self.percentiles: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)
        """p50, p95, p99 and max of ``latencies``, computed when they change."""
        self.slippage_total = ZERO
        self.average: Decimal | None = None
        """``slippage_total`` over ``fills``, computed when they change."""
        self.worst: Decimal | None = None

    def acknowledged_after(self, latency: int) -> None:
        # One more order acknowledged, after ``latency`` ns.
        self.acknowledged += 1
        latencies = self.latencies
        insort(latencies, latency)
        self.percentiles = (
            nearest_rank(latencies, 50),
            nearest_rank(latencies, 95),
            nearest_rank(latencies, 99),
            latencies[-1],
        )


class ExecutionQualityProjection(Projection):
    """One row per venue, versioned at every change."""

    name = "execution_quality"
    tables = (EXECUTION,)
    topics = tuple(
        t.TOPIC
        for t in (
            OrderSubmitted,
            VenueOrderAccepted,
            VenueOrderRejected,
            VenueOrderFilled,
            VenueOrderCancelled,
        )
    )

    def __init__(self) -> None:
        super().__init__()
        self.venues: dict[str, _Venue] = {}
        self.submitted: dict[UUID, int] = {}
        self.acknowledged: set[UUID] = set()
        self.trade_ids: set[tuple[str, str]] = set()

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        if isinstance(event, OrderSubmitted):
            venue = self.venues.setdefault(event.venue, _Venue())
            venue.orders += 1
            self.submitted[event.order_id] = event.ts_event
            self._put(notification_id, event.venue, venue, event.ts_event)
            return
        if not isinstance(
            event, VenueOrderAccepted | VenueOrderRejected | VenueOrderFilled | VenueOrderCancelled
        ) or (event.order_id not in self.submitted):
            return
        venue = self.venues.setdefault(event.venue, _Venue())
        if isinstance(event, VenueOrderFilled):
            if (event.venue, event.trade_id) in self.trade_ids:
                return
            self.trade_ids.add((event.venue, event.trade_id))
            venue.fills += 1
            slip = slippage_bps(event.side, event.price, event.expected_price)
            venue.slippage_total += slip
            venue.average = (venue.slippage_total / venue.fills).quantize(BPS_QUANTUM)
            venue.worst = slip if venue.worst is None else max(venue.worst, slip)
        elif isinstance(event, VenueOrderRejected):
            venue.rejected += 1
            if any(word in event.reason.lower() for word in ERROR_WORDS):
                venue.errors += 1
        elif isinstance(event, VenueOrderCancelled):
            venue.cancelled += 1
        if (
            isinstance(event, VenueOrderAccepted | VenueOrderFilled)
            and event.order_id not in self.acknowledged
        ):
            self.acknowledged.add(event.order_id)
            venue.acknowledged_after(event.ts_recv - self.submitted[event.order_id])
        self._put(notification_id, event.venue, venue, event.ts_event)

    def _put(self, notification_id: int, name: str, venue: _Venue, ts: int) -> None:
        p50, p95, p99, most = venue.percentiles
        self.put(
            EXECUTION,
            notification_id,
            VenueQualityRow(
                ts=ts,
                venue=name,
                orders=venue.orders,
                acknowledged=venue.acknowledged,
                rejected=venue.rejected,
                errors=venue.errors,
                cancelled=venue.cancelled,
                fills=venue.fills,
                reject_rate_pct=_rate(venue.rejected, venue.orders),
                error_rate_pct=_rate(venue.errors, venue.orders),
                latency_p50_ns=p50,
                latency_p95_ns=p95,
                latency_p99_ns=p99,
                latency_max_ns=most,
                average_slippage_bps=venue.average,
                worst_slippage_bps=venue.worst,
            ),
        )
