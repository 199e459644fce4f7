"""The order blotter: every order with its status history, fills, slippage and latency.

An order's row is versioned at every change (decision, submission, each venue
report), so its status history is the row's versions. Slippage is signed
against the order: positive means the fill was worse than expected (paid more
on a buy, received less on a sell), in basis points of the expected price.
Latency is venue acknowledgement (or first fill) time minus submission time.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import msgspec

from domain.events import (
    Event,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    VenueOrderAccepted,
    VenueOrderCancelled,
    VenueOrderFilled,
    VenueOrderRejected,
)
from projections.base import Projection, Row, Table
from projections.context import SessionContext

ZERO = Decimal(0)
BPS_QUANTUM = Decimal("0.0001")


class OrderRow(Row, frozen=True, kw_only=True):
    """One order as it stands after the event that made this version."""

    order_id: str
    account: str
    strategy_id: str
    symbol: str
    venue: str
    side: str
    order_type: str
    purpose: str
    quantity: Decimal
    limit_price: Decimal | None
    status: str
    reason: str
    reference_price: Decimal
    limits_version: str
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    fees: Decimal
    slippage_bps: Decimal | None
    submitted_ts: int | None
    latency_ns: int | None


class FillRow(Row, frozen=True, kw_only=True):
    """One fill (duplicates of a trade id are not repeated)."""

    trade_id: str
    order_id: str
    account: str
    strategy_id: str
    symbol: str
    venue: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    expected_price: Decimal
    slippage_bps: Decimal
    latency_ns: int | None


ORDERS = Table("rm_orders", OrderRow, ("order_id",), state=True)
FILLS = Table("rm_fills", FillRow, (), state=False)


def slippage_bps(side: str, price: Decimal, expected: Decimal) -> Decimal:
    """Basis points worse than expected (negative when better)."""
    if not expected:
        return ZERO
    worse = price - expected if side == "buy" else expected - price
    return (worse * 10_000 / expected).quantize(BPS_QUANTUM)


class OrdersProjection(Projection):
    """Every order and every fill."""

    name = "orders"
    tables = (ORDERS, FILLS)
    topics = tuple(
        t.TOPIC
        for t in (
            SessionStarted,
            OrderApproved,
            OrderDenied,
            OrderSubmitted,
            VenueOrderAccepted,
            VenueOrderRejected,
            VenueOrderFilled,
            VenueOrderCancelled,
        )
    )

    def __init__(self) -> None:
        super().__init__()
        self.context = SessionContext()
        self.orders: dict[UUID, OrderRow] = {}
        self.trade_ids: set[tuple[str, str]] = set()

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        if isinstance(event, OrderApproved | OrderDenied):
            owner = self.context.decided(event)
            denied = isinstance(event, OrderDenied)
            self._put(
                notification_id,
                OrderRow(
                    ts=event.ts_event,
                    order_id=str(event.order_id),
                    account=owner.account,
                    strategy_id=event.strategy_id,
                    symbol=event.symbol,
                    venue=owner.venue,
                    side=event.side,
                    order_type="market",
                    purpose="",
                    quantity=event.quantity,
                    limit_price=None,
                    status="denied" if denied else "approved",
                    reason=f"{event.reason}: {event.message}" if isinstance(event, OrderDenied) else "",
                    reference_price=event.reference_price,
                    limits_version=event.limits_version,
                    filled_quantity=ZERO,
                    average_fill_price=None,
                    fees=ZERO,
                    slippage_bps=None,
                    submitted_ts=None,
                    latency_ns=None,
                ),
                event.order_id,
            )
        elif isinstance(event, OrderSubmitted):
            owner = self.context.submitted(event)
            row = self.orders.get(event.order_id)
            base = dict(
                ts=event.ts_event,
                account=owner.account,
                strategy_id=event.strategy_id,
                symbol=event.symbol,
                venue=event.venue,
                side=event.side,
                order_type=event.order_type,
                purpose=event.purpose,
                quantity=event.quantity,
                limit_price=event.price,
                status="submitted",
                submitted_ts=event.ts_event,
            )
            if row is None:
                row = OrderRow(
                    order_id=str(event.order_id),
                    reason="",
                    reference_price=event.price or ZERO,
                    limits_version="",
                    filled_quantity=ZERO,
                    average_fill_price=None,
                    fees=ZERO,
                    slippage_bps=None,
                    latency_ns=None,
                    **base,  # type: ignore[arg-type]
                )
            else:
                row = _replace(row, **base)
            self._put(notification_id, row, event.order_id)
        elif isinstance(event, VenueOrderFilled):
            self._fill(notification_id, event)
        elif isinstance(event, VenueOrderAccepted | VenueOrderRejected | VenueOrderCancelled):
            row = self.orders.get(event.order_id)
            if row is None:
                return
            changes: dict[str, object] = {"ts": event.ts_event}
            if isinstance(event, VenueOrderAccepted):
                if row.status == "submitted":
                    changes["status"] = "accepted"
                changes["latency_ns"] = _latency(row, event.ts_recv)
            else:
                changes["status"] = "rejected" if isinstance(event, VenueOrderRejected) else "cancelled"
                changes["reason"] = event.reason
            self._put(notification_id, _replace(row, **changes), event.order_id)
        elif isinstance(event, SessionStarted):
            self.context.start(event)

    def _fill(self, notification_id: int, fill: VenueOrderFilled) -> None:
        row = self.orders.get(fill.order_id)
        if row is None or (fill.venue, fill.trade_id) in self.trade_ids:
            return
        self.trade_ids.add((fill.venue, fill.trade_id))
        filled = row.filled_quantity + fill.quantity
        paid = (row.average_fill_price or ZERO) * row.filled_quantity + fill.price * fill.quantity
        average = paid / filled
        latency = row.latency_ns if row.latency_ns is not None else _latency(row, fill.ts_recv)
        slip = slippage_bps(fill.side, fill.price, fill.expected_price)
        self.put(
            FILLS,
            notification_id,
            FillRow(
                ts=fill.ts_event,
                trade_id=fill.trade_id,
                order_id=row.order_id,
                account=row.account,
                strategy_id=row.strategy_id,
                symbol=row.symbol,
                venue=fill.venue,
                side=fill.side,
                quantity=fill.quantity,
                price=fill.price,
                fee=fill.fee,
                expected_price=fill.expected_price,
                slippage_bps=slip,
                latency_ns=latency,
            ),
        )
        weighted = (row.slippage_bps or ZERO) * row.filled_quantity + slip * fill.quantity
        updated = _replace(
            row,
            ts=fill.ts_event,
            status="filled" if filled >= row.quantity else "partially_filled",
            filled_quantity=filled,
            average_fill_price=average,
            fees=row.fees + fill.fee,
            slippage_bps=(weighted / filled).quantize(BPS_QUANTUM),
            latency_ns=latency,
        )
        self._put(notification_id, updated, fill.order_id)

    def _put(self, notification_id: int, row: OrderRow, order_id: UUID) -> None:
        self.orders[order_id] = row
        self.put(ORDERS, notification_id, row)


def _latency(row: OrderRow, ts_recv: int) -> int | None:
    return ts_recv - row.submitted_ts if row.submitted_ts is not None else None


def _replace(row: OrderRow, **changes: object) -> OrderRow:
    return msgspec.structs.replace(row, **changes)
