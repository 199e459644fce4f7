"""Projections over small hand-built event lists whose answers are worked out here."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import msgspec

from domain.events import (
    Bar,
    Event,
    OrderSubmitted,
    SessionStarted,
    VenueOrderAccepted,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.ids import derive_id
from projections import ALL
from projections.base import Projection, Row
from projections.execution import ExecutionQualityProjection, nearest_rank
from projections.orders import OrdersProjection, slippage_bps
from projections.performance import PerformanceProjection
from projections.portfolio import DailyPnlRow, EquityRow, PortfolioProjection, PositionRow

DAY = 86_400 * 10**9
T0 = 20_000 * DAY  # a UTC midnight
STREAM = derive_id("test-bars")
SESSION = SessionStarted(
    originator_id=derive_id("test-session"),
    originator_version=1,
    mode="paper",
    account="acct",
    currency="USD",
    starting_cash=Decimal(1000),
    venue="sim",
    fee_rate=Decimal(0),
    slippage_bps=Decimal(0),
    close_at_end=False,
    strategies=(),
    code_version="test",
)


def bar(version: int, ts: int, close: str) -> Bar:
    price = Decimal(close)
    return Bar(
        originator_id=STREAM,
        originator_version=version,
        venue="sim",
        symbol="X/USD",
        ts_event=ts,
        ts_recv=ts,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1),
    )


def order(n: int, side: str, quantity: str, ts: int) -> tuple[UUID, OrderSubmitted]:
    order_id = derive_id("order", str(n))
    return order_id, OrderSubmitted(
        originator_id=order_id,
        originator_version=2,
        order_id=order_id,
        client_order_id=str(n),
        strategy_id="s1",
        venue="sim",
        symbol="X/USD",
        side=side,
        order_type="market",  # type: ignore[arg-type]
        quantity=Decimal(quantity),
        ts_event=ts,
        purpose="entry",
    )


def fill(
    order_id: UUID,
    trade: str,
    side: str,
    quantity: str,
    price: str,
    ts: int,
    fee: str = "0",
    expected: str | None = None,
) -> VenueOrderFilled:
    return VenueOrderFilled(
        originator_id=order_id,
        originator_version=3,
        order_id=order_id,
        venue="sim",
        ts_event=ts,
        ts_recv=ts,
        trade_id=trade,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),  # type: ignore[arg-type]
        expected_price=Decimal(expected or price),
    )


def run(projection: Projection, events: list[Event]) -> dict[str, list[Row]]:
    for notification_id, event in enumerate(events, start=1):
        projection.apply(notification_id, event)
    return {name: [v.row for v in versions] for name, versions in projection.take_changes().items()}


def test_positions_cash_equity_and_daily_pnl_across_a_day_boundary() -> None:
    buy_id, buy = order(1, "buy", "2", T0 + 60)
    sell_id, sell = order(2, "sell", "1", T0 + DAY + 120)
    rows = run(
        PortfolioProjection(),
        [
            SESSION,
            bar(1, T0, "10"),
            buy,
            fill(buy_id, "t1", "buy", "2", "10", T0 + 60, fee="0.5"),
            fill(buy_id, "t1", "buy", "2", "10", T0 + 60, fee="0.5"),  # a repeat: ignored
            bar(2, T0 + 60, "12"),
            bar(3, T0 + DAY, "11"),  # the next UTC day: day one closes with unrealized 2 x (12 - 10) = 4
            sell,
            fill(sell_id, "t2", "sell", "1", "13", T0 + DAY + 120),
        ],
    )
    position = rows["rm_positions"][-1]
    assert isinstance(position, PositionRow)
    assert (position.quantity, position.realized_pnl, position.fees, position.fills) == (
        Decimal(1),
        Decimal(3),
        Decimal("0.5"),
        2,
    )
    equity = rows["rm_equity"]
    assert all(isinstance(e, EquityRow) for e in equity)
    # cash 1000 - 20 - 0.5 = 979.5; marked at 12: 1003.5; at 11 the next day: 1001.5
    assert [e.equity for e in equity] == [Decimal(1000), Decimal("1003.5"), Decimal("1001.5")]  # type: ignore[attr-defined]
    assert equity[-1].drawdown_pct == Decimal("0.199302")  # type: ignore[attr-defined]  # 2 / 1003.5
    daily = [r for r in rows["rm_daily_pnl"] if isinstance(r, DailyPnlRow)]
    day_one = [r for r in daily if r.day == "2024-10-04"]
    day_two = [r for r in daily if r.day == "2024-10-05"]
    assert day_one[-1].unrealized_pnl == Decimal(4) and day_one[-1].fees == Decimal("0.5")
    assert (day_two[-1].realized_pnl, day_two[-1].fills) == (Decimal(3), 1)
    assert [r.cash for r in rows["rm_cash"]][-1] == Decimal("992.5")  # type: ignore[attr-defined]


def test_order_status_history_slippage_and_latency() -> None:
    order_id, submitted = order(1, "buy", "2", T0)
    ack = VenueOrderAccepted(
        originator_id=order_id,
        originator_version=3,
        order_id=order_id,
        venue="sim",
        ts_event=T0,
        ts_recv=T0 + 5_000_000,
        venue_order_id="v1",
    )
    rows = run(
        OrdersProjection(),
        [
            SESSION,
            submitted,
            ack,
            fill(order_id, "t1", "buy", "1", "10.1", T0 + 6_000_000, expected="10"),
            fill(order_id, "t2", "buy", "1", "10.3", T0 + 7_000_000, expected="10"),
        ],
    )
    statuses = [r.status for r in rows["rm_orders"]]  # type: ignore[attr-defined]
    assert statuses == ["submitted", "accepted", "partially_filled", "filled"]
    last = rows["rm_orders"][-1]
    assert last.latency_ns == 5_000_000 and last.average_fill_price == Decimal("10.2")  # type: ignore[attr-defined]
    assert last.slippage_bps == Decimal(200)  # type: ignore[attr-defined]  # fills at +100 and +300 bps
    assert slippage_bps("sell", Decimal("9.9"), Decimal(10)) == Decimal(100)
    assert slippage_bps("sell", Decimal("10.1"), Decimal(10)) == Decimal(-100)


def test_execution_quality_counts_rejections_errors_and_latency_percentiles() -> None:
    events: list[Event] = [SESSION]
    for n in range(1, 11):
        order_id, submitted = order(n, "buy", "1", T0)
        events.append(submitted)
        if n <= 2:
            reason = "exchange unavailable" if n == 1 else "insufficient funds"
            events.append(
                VenueOrderRejected(
                    originator_id=order_id,
                    originator_version=3,
                    order_id=order_id,
                    venue="sim",
                    ts_event=T0,
                    ts_recv=T0 + n,
                    reason=reason,
                )
            )
        else:
            events.append(
                VenueOrderAccepted(
                    originator_id=order_id,
                    originator_version=3,
                    order_id=order_id,
                    venue="sim",
                    ts_event=T0,
                    ts_recv=T0 + n * 1_000_000,
                    venue_order_id=str(n),
                )
            )
    last = run(ExecutionQualityProjection(), events)["rm_execution_quality"][-1]
    assert (last.orders, last.rejected, last.errors, last.acknowledged) == (10, 2, 1, 8)  # type: ignore[attr-defined]
    assert last.reject_rate_pct == Decimal(20) and last.error_rate_pct == Decimal(10)  # type: ignore[attr-defined]
    assert last.latency_p50_ns == 6_000_000 and last.latency_max_ns == 10_000_000  # type: ignore[attr-defined]
    assert (
        nearest_rank([1, 2, 3, 4], 50) == 2
        and nearest_rank([1, 2, 3, 4], 99) == 4
        and nearest_rank([], 50) is None
    )


def test_performance_counts_round_trips_net_of_fees() -> None:
    events: list[Event] = [SESSION]
    for n, (entry, exit_) in enumerate([("10", "12"), ("12", "11"), ("11", "14")], start=1):
        buy_id, buy = order(2 * n, "buy", "1", T0 + n)
        sell_id, sell = order(2 * n + 1, "sell", "1", T0 + n)
        events += [
            buy,
            fill(buy_id, f"b{n}", "buy", "1", entry, T0 + n, fee="0.1"),
            sell,
            fill(sell_id, f"s{n}", "sell", "1", exit_, T0 + n, fee="0.1"),
        ]
    last = run(PerformanceProjection(), events)["rm_strategy_performance"][-1]
    # round trips net of 0.2 fees: 1.8, -1.2, 2.8
    assert (last.trades, last.wins, last.losses) == (3, 2, 1)  # type: ignore[attr-defined]
    assert last.net_pnl == Decimal("3.4") and last.profit_factor == Decimal("3.833333")  # type: ignore[attr-defined]
    assert last.win_rate_pct == Decimal("66.666667")  # type: ignore[attr-defined]
    # realized equity 1000 -> 1001.8 -> 1000.6 -> 1003.4: max drawdown 1.2 / 1001.8
    assert last.max_drawdown_pct == Decimal("0.119784")  # type: ignore[attr-defined]


def test_handlers_and_partial_bars_give_the_versions_apply_gives_whole_events() -> None:
    buy_id, buy = order(1, "buy", "2", T0 + 60)
    sell_id, sell = order(2, "sell", "3", T0 + DAY + 120)
    events: list[Event] = [
        SESSION,
        bar(1, T0, "10"),
        buy,
        fill(buy_id, "t1", "buy", "2", "10", T0 + 60, fee="0.5"),
        bar(2, T0 + 60, "12"),
        bar(3, T0 + DAY, "11"),
        sell,
        fill(sell_id, "t2", "sell", "3", "13", T0 + DAY + 120, expected="12.5"),
        bar(4, T0 + DAY + 180, "9"),
    ]
    for kind in ALL:
        whole, routed = kind(), kind()
        handlers = routed.handlers()
        assert set(handlers) == set(kind.topics)
        for notification_id, event in enumerate(events, start=1):
            if event.TOPIC in kind.topics:
                whole.apply(notification_id, event)
                partial = kind.partial.get(event.TOPIC)
                light = msgspec.convert(msgspec.to_builtins(event), partial) if partial else event
                handlers[event.TOPIC](notification_id, light)
        assert routed.take_changes() == whole.take_changes()
