"""The read-side collector exports the views' numbers, reading only what changed since the last scrape."""

from __future__ import annotations

from decimal import Decimal

from infrastructure.metrics import Metrics, render
from infrastructure.metrics.view_tallies import LATENCY_BUCKETS
from projections.breakers import BREAKERS, BreakerRow
from projections.execution import EXECUTION, VenueQualityRow
from projections.orders import FILLS, ORDERS, FillRow, OrderRow
from projections.portfolio import CASH, DAILY_PNL, EQUITY, CashRow, DailyPnlRow, EquityRow
from tests.unit.metrics.fakes import FakeViews

D = Decimal


def order(order_id: str, status: str, reason: str = "", account: str = "main") -> OrderRow:
    return OrderRow(
        ts=1, order_id=order_id, account=account, strategy_id="s", symbol="BTC/USD", venue="kraken",
        side="buy", order_type="market", purpose="entry", quantity=D(1), limit_price=None, status=status,
        reason=reason, reference_price=D(100), limits_version="v1", filled_quantity=D(0),
        average_fill_price=None, fees=D(0), slippage_bps=None, submitted_ts=None, latency_ns=None,
    )  # fmt: skip


def fill(trade_id: str, latency_ns: int | None, slippage: str, venue: str = "kraken") -> FillRow:
    return FillRow(
        ts=1, trade_id=trade_id, order_id="o", account="main", strategy_id="s", symbol="BTC/USD",
        venue=venue, side="buy", quantity=D(1), price=D(100), fee=D(0), expected_price=D(100),
        slippage_bps=D(slippage), latency_ns=latency_ns,
    )  # fmt: skip


def breaker(scope: str, state: str, transitions: int = 1, account: str = "main") -> BreakerRow:
    return BreakerRow(
        ts=1, account=account, scope=scope, state=state, previous="ACTIVE", reason="r", drawdown_pct=D(0),
        daily_loss_pct=D(0), equity=D(0), high_water=D(0), limits_version="v1", transitions=transitions,
    )  # fmt: skip


def equity(account: str, value: str, drawdown: str, ts: int) -> EquityRow:
    return EquityRow(
        ts=ts, account=account, symbol="BTC/USD", mark=D(100), cash=D(0), equity=D(value),
        high_water=D(1000), drawdown_pct=D(drawdown), realized_pnl=D(0), unrealized_pnl=D(0), fees=D(0),
    )  # fmt: skip


def daily(strategy: str, day: str, realized: str, unrealized: str, fees: str) -> DailyPnlRow:
    return DailyPnlRow(
        ts=1, account="main", strategy_id=strategy, symbol="BTC/USD", day=day, realized_pnl=D(realized),
        unrealized_pnl=D(unrealized), fees=D(fees), fills=1,
    )  # fmt: skip


def watched(views: FakeViews, head: int = 0, budget: int = 100_000) -> Metrics:
    metrics = Metrics()
    metrics.watch_read_side(views, lambda: head, max_rows_per_scrape=budget)
    return metrics


def scrape(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in metrics.registry.collect()
        for s in family.samples
    }


def sample(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def test_orders_are_counted_by_status_and_denials_by_reason_code() -> None:
    views = FakeViews()
    views.put(ORDERS, order("a", "approved"), 1)
    views.put(ORDERS, order("b", "denied", "strategy_exposure: would be 11.2% of equity, limit 10%"), 2)
    views.put(ORDERS, order("c", "denied", "halted: trading is HALTED: no new exposure"), 3)
    views.put(ORDERS, order("d", "denied", "halted: trading is HALTED: no new exposure", account="other"), 4)
    metrics = watched(views)
    found = scrape(metrics)
    assert sample(found, "memesnipe_orders", account="main", status="approved") == 1
    assert sample(found, "memesnipe_orders", account="main", status="denied") == 2
    assert sample(found, "memesnipe_orders_denied_total", account="main", reason="strategy_exposure") == 1
    assert sample(found, "memesnipe_orders_denied_total", account="main", reason="halted") == 1
    assert sample(found, "memesnipe_orders_denied_total", account="other", reason="halted") == 1


def test_a_status_change_moves_the_order_between_statuses_and_reads_only_the_new_version() -> None:
    views = FakeViews()
    views.put(ORDERS, order("a", "approved"), 1)
    views.put(ORDERS, order("b", "approved"), 2)
    metrics = watched(views)
    scrape(metrics)
    read_before = views.rows_read
    views.put(ORDERS, order("a", "submitted"), 3)
    views.put(ORDERS, order("a", "filled"), 4)
    found = scrape(metrics)
    assert views.rows_read - read_before == 2
    assert sample(found, "memesnipe_orders", account="main", status="approved") == 1
    assert sample(found, "memesnipe_orders", account="main", status="submitted") == 0
    assert sample(found, "memesnipe_orders", account="main", status="filled") == 1


def test_a_first_scrape_of_a_large_view_reads_at_most_its_budget_and_catches_up() -> None:
    views = FakeViews()
    for i in range(25):
        views.put(FILLS, fill(f"t{i}", 1_000_000, "1"), i + 1)
    metrics = watched(views, budget=10)
    counts = []
    for _ in range(4):
        before = views.rows_read
        found = scrape(metrics)
        assert views.rows_read - before <= 10 + 10  # fills and orders cursors, ten each at most
        counts.append(sample(found, "memesnipe_fill_latency_seconds_count", venue="kraken"))
    assert counts == [10, 20, 25, 25]


def test_fill_latency_and_slippage_are_histograms_per_venue() -> None:
    views = FakeViews()
    views.put(FILLS, fill("t1", 4_000_000, "-3.5"), 1)  # 4 ms
    views.put(FILLS, fill("t2", 2_000_000_000, "12"), 2)  # 2 s
    views.put(FILLS, fill("t3", None, "0"), 3)  # no submission time: no latency
    views.put(FILLS, fill("t4", 500_000_000_000, "1000", venue="coinbase"), 4)  # beyond the last buckets
    found = scrape(watched(views))
    latency = "memesnipe_fill_latency_seconds"
    assert sample(found, f"{latency}_count", venue="kraken") == 2
    assert sample(found, f"{latency}_sum", venue="kraken") == 2.004
    assert sample(found, f"{latency}_bucket", venue="kraken", le="0.005") == 1
    assert sample(found, f"{latency}_bucket", venue="kraken", le="2.5") == 2
    assert sample(found, f"{latency}_bucket", venue="coinbase", le=repr(LATENCY_BUCKETS[-1])) == 0
    assert sample(found, f"{latency}_bucket", venue="coinbase", le="+Inf") == 1
    slippage = "memesnipe_fill_slippage_basis_points"
    assert sample(found, f"{slippage}_count", venue="kraken") == 3
    assert sample(found, f"{slippage}_bucket", venue="kraken", le="-2.0") == 1
    assert sample(found, f"{slippage}_bucket", venue="kraken", le="0.0") == 2
    assert sample(found, f"{slippage}_bucket", venue="coinbase", le="+Inf") == 1
    assert sample(found, f"{slippage}_sum", venue="kraken") is None  # buckets below zero: no sum


def test_breaker_state_is_a_severity_with_the_state_as_a_label() -> None:
    views = FakeViews()
    views.put(BREAKERS, breaker("account", "WARNING"), 1)
    views.put(BREAKERS, breaker("account", "HALTED", transitions=2), 2)
    views.put(BREAKERS, breaker("sma_cross", "EMERGENCY"), 3)
    views.put(BREAKERS, breaker("execution:kraken", "OPEN"), 4)
    found = scrape(watched(views))
    state = "memesnipe_breaker_state"
    assert sample(found, state, account="main", scope="account", state="HALTED") == 3
    assert sample(found, state, account="main", scope="account", state="WARNING") is None
    assert sample(found, state, account="main", scope="sma_cross", state="EMERGENCY") == 4
    assert sample(found, state, account="main", scope="execution:kraken", state="OPEN") == 2
    assert sample(found, "memesnipe_breaker_transitions_total", account="main", scope="account") == 2


def test_equity_and_drawdown_are_each_accounts_latest_mark() -> None:
    views = FakeViews()
    for account in ("main", "other"):
        views.put(CASH, CashRow(ts=0, account=account, starting_cash=D(1000), cash=D(1000)), 1)
    views.put(EQUITY, equity("main", "990", "1", 60 * 10**9), 2)
    views.put(EQUITY, equity("other", "1200", "0", 60 * 10**9), 3)
    views.put(EQUITY, equity("main", "950", "5", 120 * 10**9), 4)
    found = scrape(watched(views))
    assert sample(found, "memesnipe_equity", account="main") == 950
    assert sample(found, "memesnipe_drawdown_percent", account="main") == 5
    assert sample(found, "memesnipe_equity_high_water", account="main") == 1000
    assert sample(found, "memesnipe_equity_mark_timestamp_seconds", account="main") == 120
    assert sample(found, "memesnipe_equity", account="other") == 1200


def test_daily_profit_and_loss_is_the_accounts_latest_day_summed_over_strategies() -> None:
    views = FakeViews()
    views.put(CASH, CashRow(ts=0, account="main", starting_cash=D(1000), cash=D(1000)), 1)
    views.put(DAILY_PNL, daily("a", "2024-01-01", "50", "0", "1"), 2)
    views.put(DAILY_PNL, daily("a", "2024-01-02", "10", "2.5", "0.5"), 3)
    views.put(DAILY_PNL, daily("b", "2024-01-02", "-4", "1", "0.25"), 4)
    found = scrape(watched(views))
    assert sample(found, "memesnipe_daily_realized_profit_and_loss", account="main", day="2024-01-02") == 6
    assert (
        sample(found, "memesnipe_daily_unrealized_profit_and_loss", account="main", day="2024-01-02") == 3.5
    )
    assert sample(found, "memesnipe_daily_fees", account="main", day="2024-01-02") == 0.75
    assert sample(found, "memesnipe_daily_fees", account="main", day="2024-01-01") is None


def test_projection_lag_is_the_log_head_minus_each_tracking_position() -> None:
    views = FakeViews()
    views.tracking = {"portfolio": 90, "orders": 100}
    found = scrape(watched(views, head=100))
    assert sample(found, "memesnipe_log_last_notification_id") == 100
    assert sample(found, "memesnipe_projection_lag_events", projection="portfolio") == 10
    assert sample(found, "memesnipe_projection_lag_events", projection="orders") == 0
    assert sample(found, "memesnipe_projection_lag_events", projection="breakers") == 100  # never ran
    assert sample(found, "memesnipe_projection_position", projection="orders") == 100


def test_venue_counts_come_from_the_execution_quality_view() -> None:
    views = FakeViews()
    views.put(
        EXECUTION,
        VenueQualityRow(
            ts=1,
            venue="kraken",
            orders=10,
            acknowledged=8,
            rejected=2,
            errors=1,
            cancelled=0,
            fills=8,
            reject_rate_pct=D(20),
            error_rate_pct=D(10),
            latency_p50_ns=1,
            latency_p95_ns=1,
            latency_p99_ns=1,
            latency_max_ns=1,
            average_slippage_bps=D("3.25"),
            worst_slippage_bps=D(9),
        ),
        1,
    )
    found = scrape(watched(views))
    assert sample(found, "memesnipe_venue_orders_total", venue="kraken") == 10
    assert sample(found, "memesnipe_venue_rejections_total", venue="kraken") == 2
    assert sample(found, "memesnipe_venue_errors_total", venue="kraken") == 1
    assert sample(found, "memesnipe_venue_average_slippage_basis_points", venue="kraken") == 3.25


def test_a_rebuilt_orders_view_is_counted_again_from_scratch() -> None:
    views = FakeViews()
    views.tracking = {"orders": 5}
    views.put(ORDERS, order("a", "approved"), 1)
    views.put(ORDERS, order("b", "approved"), 2)
    metrics = watched(views, head=5)
    scrape(metrics)
    views.drop(ORDERS)  # a rebuild in progress: rows gone, the position back
    views.tracking = {"orders": 1}
    views.put(ORDERS, order("a", "approved"), 1)
    found = scrape(metrics)
    assert sample(found, "memesnipe_orders", account="main", status="approved") == 1


def test_a_failed_read_still_answers_with_read_side_up_zero() -> None:
    views = FakeViews()
    metrics = watched(views)
    metrics.events_appended.labels("market.Bar").inc()
    views.broken = True
    found = scrape(metrics)
    assert sample(found, "memesnipe_read_side_up") == 0
    assert sample(found, "memesnipe_events_appended_total", topic="market.Bar") == 1
    views.broken = False
    assert sample(scrape(metrics), "memesnipe_read_side_up") == 1


def test_render_gives_the_text_format_or_openmetrics_when_asked() -> None:
    views = FakeViews()
    views.put(ORDERS, order("a", "approved"), 1)
    metrics = watched(views)
    body, content_type = render(metrics)
    assert content_type.startswith("text/plain; version=0.0.4")
    assert b'memesnipe_orders{account="main",status="approved"} 1.0' in body
    body, content_type = render(metrics, accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
