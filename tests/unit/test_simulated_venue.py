from decimal import Decimal
from uuid import UUID

from domain.events import Bar, OrderSubmitted, VenueOrderAccepted, VenueOrderFilled, VenueOrderRejected
from infrastructure.venues.simulated import SimulatedVenue

D = Decimal


def order(
    side: str = "buy", order_type: str = "market", price: str | None = None, n: int = 1
) -> OrderSubmitted:
    return OrderSubmitted(
        originator_id=UUID(int=n),
        originator_version=2,
        order_id=UUID(int=n),
        client_order_id="c",
        strategy_id="s",
        venue="sim",
        symbol="T/USD",
        side=side,
        order_type=order_type,
        quantity=D(2),  # type: ignore[arg-type]
        price=D(price) if price else None,
        ts_event=1,
        purpose="entry",
    )


def bar(o: str, h: str, low: str, c: str, ts: int = 2) -> Bar:
    return Bar(
        originator_id=UUID(int=99),
        originator_version=ts,
        venue="sim",
        symbol="T/USD",
        ts_event=ts,
        ts_recv=ts,
        open=D(o),
        high=D(h),
        low=D(low),
        close=D(c),
        volume=D(1),
    )


def venue(fee: str = "0", slip: str = "0") -> SimulatedVenue:
    return SimulatedVenue("sim", UUID(int=5), D(fee), D(slip))


def test_market_orders_are_acknowledged_then_fill_at_the_next_open_with_costs() -> None:
    sim = venue(fee="0.001", slip="10")
    [ack] = sim.submit(order())
    assert isinstance(ack, VenueOrderAccepted)
    [filled] = sim.on_bar(bar("100", "105", "95", "101"))
    assert isinstance(filled, VenueOrderFilled)
    assert filled.expected_price == D(100) and filled.price == D("100.1")
    assert filled.fee == D(2) * D("100.1") * D("0.001")
    assert list(sim.on_bar(bar("100", "105", "95", "101", ts=3))) == []


def test_limit_and_stop_orders_fill_when_price_trades_through() -> None:
    sim = venue()
    sim.submit(order("buy", "limit", "96", n=1))
    sim.submit(order("sell", "stop", "90", n=2))
    sim.submit(order("sell", "limit", "110", n=3))
    fills = sim.on_bar(bar("100", "105", "95", "101"))
    assert [(f.order_id.int, f.price) for f in fills if isinstance(f, VenueOrderFilled)] == [(1, D(96))]
    gap = sim.on_bar(bar("85", "112", "80", "100", ts=3))
    assert [(f.order_id.int, f.price) for f in gap if isinstance(f, VenueOrderFilled)] == [
        (2, D(85)),
        (3, D(110)),
    ]


def test_orders_for_another_venue_or_without_price_are_rejected() -> None:
    sim = venue()
    wrong = order()
    wrong = OrderSubmitted(**{**{f: getattr(wrong, f) for f in wrong.__struct_fields__}, "venue": "kraken"})
    assert isinstance(sim.submit(wrong)[0], VenueOrderRejected)
    assert isinstance(sim.submit(order("buy", "limit", None))[0], VenueOrderRejected)


def test_waiting_market_orders_fill_at_the_last_close_when_the_session_ends() -> None:
    sim = venue()
    sim.on_bar(bar("100", "105", "95", "101"))
    sim.submit(order("sell"))
    [filled] = sim.on_session_end()
    assert isinstance(filled, VenueOrderFilled) and filled.price == D(101)


def test_report_ids_are_deterministic() -> None:
    a, b = venue(), venue()
    assert a.submit(order()) == b.submit(order())


def test_market_orders_fill_at_the_opposite_side_of_the_next_quote() -> None:
    from domain.events import Quote

    sim = venue(slip="0")
    sim.submit(order("buy", n=1))
    sim.submit(order("sell", n=2))
    quote = Quote(
        originator_id=UUID(int=98),
        originator_version=1,
        venue="sim",
        symbol="T/USD",
        ts_event=5,
        ts_recv=5,
        bid=D("99.5"),
        bid_size=D(3),
        ask=D("100.5"),
        ask_size=D(4),
    )
    fills = sim.on_quote(quote)
    assert [(f.order_id.int, f.price) for f in fills if isinstance(f, VenueOrderFilled)] == [
        (1, D("100.5")),
        (2, D("99.5")),
    ]
