"""The read side's metric families, built from one snapshot of the views.

Breaker state is a number, ordered by severity like ``TradingState``: ACTIVE 0,
WARNING 1, REDUCING 2, HALTED 3, EMERGENCY 4 (the state is also a label). A venue's
execution-quality breaker maps CLOSED 0, HALF_OPEN 1 (one probe may go) and OPEN 2
(no new exposure, as REDUCING). So ``memesnipe_breaker_state >= 3`` means no new
orders for that account or strategy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.samples import Sample

from domain.risk.breaker import TradingState
from domain.risk.execution import ExecutionState
from infrastructure.metrics.view_tallies import Buckets
from projections.breakers import BreakerRow
from projections.execution import VenueQualityRow
from projections.portfolio import EquityRow

SEVERITY: dict[str, int] = {state.name: int(state) for state in TradingState} | {
    ExecutionState.CLOSED.value: 0,
    ExecutionState.HALF_OPEN.value: 1,
    ExecutionState.OPEN.value: 2,
}
UNKNOWN_SEVERITY = -1


@dataclass(frozen=True)
class DailyProfit:
    """One account's P&L on its latest day in the daily view (sums over strategies and symbols)."""

    day: str
    realized: Decimal
    unrealized: Decimal
    fees: Decimal


@dataclass
class Snapshot:
    """What one scrape read from the views."""

    head: int | None = None
    positions: dict[str, int] = field(default_factory=dict)
    orders: dict[tuple[str, str], int] = field(default_factory=dict)
    denials: dict[tuple[str, str], int] = field(default_factory=dict)
    breakers: list[BreakerRow] = field(default_factory=list)
    equity: dict[str, EquityRow] = field(default_factory=dict)
    daily: dict[str, DailyProfit] = field(default_factory=dict)
    latency: dict[str, Buckets] = field(default_factory=dict)
    slippage: dict[str, Buckets] = field(default_factory=dict)
    venues: list[VenueQualityRow] = field(default_factory=list)


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def families(snapshot: Snapshot) -> list[Metric]:
    """Every read-side family (with no samples for an empty snapshot)."""
    out: list[Metric] = [*_log_and_projections(snapshot), *_orders(snapshot), *_breakers(snapshot)]
    out += _portfolio(snapshot)
    out += _execution(snapshot)
    return out


def _log_and_projections(s: Snapshot) -> list[Metric]:
    head = _gauge("memesnipe_log_last_notification_id", "The log's highest notification id.", [])
    position = _gauge(
        "memesnipe_projection_position", "Notification id a projection's view has committed.", ["projection"]
    )
    lag = _gauge(
        "memesnipe_projection_lag_events",
        "Notification ids between the log's head and a projection's committed position "
        "(an upper bound on PostgreSQL, whose ids may have gaps).",
        ["projection"],
    )
    if s.head is not None:
        head.add_metric([], s.head)
        for name, at in sorted(s.positions.items()):
            position.add_metric([name], at)
            lag.add_metric([name], max(0, s.head - at))
    return [head, position, lag]


def _orders(s: Snapshot) -> list[Metric]:
    orders = _gauge(
        "memesnipe_orders", "Orders in the blotter by account and current status.", ["account", "status"]
    )
    for (account, status), count in sorted(s.orders.items()):
        orders.add_metric([account, status], count)
    denied = CounterMetricFamily(
        "memesnipe_orders_denied",
        "Orders our risk gate denied, by account and reason code.",
        labels=["account", "reason"],
    )
    for (account, reason), count in sorted(s.denials.items()):
        denied.add_metric([account, reason], count)
    return [orders, denied]


def _breakers(s: Snapshot) -> list[Metric]:
    state = _gauge(
        "memesnipe_breaker_state",
        "Circuit-breaker state by severity: ACTIVE 0, WARNING 1, REDUCING 2, HALTED 3, EMERGENCY 4 "
        "(execution breakers: CLOSED 0, HALF_OPEN 1, OPEN 2).",
        ["account", "scope", "state"],
    )
    transitions = CounterMetricFamily(
        "memesnipe_breaker_transitions", "Transitions of each breaker.", labels=["account", "scope"]
    )
    for row in sorted(s.breakers, key=lambda r: (r.account, r.scope)):
        state.add_metric([row.account, row.scope, row.state], SEVERITY.get(row.state, UNKNOWN_SEVERITY))
        transitions.add_metric([row.account, row.scope], row.transitions)
    return [state, transitions]


def _portfolio(s: Snapshot) -> list[Metric]:
    equity = _gauge("memesnipe_equity", "Account equity at its latest mark (cash + positions).", ["account"])
    high = _gauge("memesnipe_equity_high_water", "Account equity's high-water mark.", ["account"])
    drawdown = _gauge(
        "memesnipe_drawdown_percent", "Drawdown from the high-water mark, percent.", ["account"]
    )
    marked = _gauge(
        "memesnipe_equity_mark_timestamp_seconds",
        "Event time of the bar that marked the account last; time() minus it is how stale its data is.",
        ["account"],
    )
    for account, row in sorted(s.equity.items()):
        equity.add_metric([account], float(row.equity))
        high.add_metric([account], float(row.high_water))
        drawdown.add_metric([account], float(row.drawdown_pct))
        marked.add_metric([account], row.ts / 1e9)
    daily = [
        _gauge(
            f"memesnipe_daily_{part}",
            f"{doc} on the account's latest day in the daily view.",
            ["account", "day"],
        )
        for part, doc in (
            ("realized_profit_and_loss", "Realized P&L (before fees)"),
            (
                "unrealized_profit_and_loss",
                "Unrealized P&L of open positions, as of the day's last fill or close,",
            ),
            ("fees", "Fees paid"),
        )
    ]
    for account, day in sorted(s.daily.items()):
        for family, value in zip(daily, (day.realized, day.unrealized, day.fees), strict=True):
            family.add_metric([account, day.day], float(value))
    return [equity, high, drawdown, marked, *daily]


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def _histogram(name: str, doc: str, by_venue: dict[str, Buckets]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=["venue"])
    for venue, buckets in sorted(by_venue.items()):
        cumulative = buckets.cumulative()
        family.add_metric([venue], [(_le(b), c) for b, c in cumulative], sum_value=buckets.total)
        if buckets.bounds[0] < 0:  # OpenMetrics: no _sum with negative buckets (prometheus_client drops both)
            family.samples.append(Sample(f"{name}_count", {"venue": venue}, cumulative[-1][1]))
    return family


def _execution(s: Snapshot) -> list[Metric]:
    out: list[Metric] = [
        _histogram(
            "memesnipe_fill_latency_seconds",
            "Fill latency: venue acknowledgement (or first fill) minus submission, per fill.",
            s.latency,
        ),
        _histogram(
            "memesnipe_fill_slippage_basis_points",
            "Fill slippage against the expected price, basis points (positive = worse), per fill "
            "(no _sum: its buckets go below zero).",
            s.slippage,
        ),
    ]
    for name, doc, attribute in (
        ("memesnipe_venue_orders", "Orders sent to each venue.", "orders"),
        ("memesnipe_venue_rejections", "Orders each venue rejected.", "rejected"),
        ("memesnipe_venue_errors", "Rejections that were venue failures (timeouts, unavailable).", "errors"),
    ):
        family = CounterMetricFamily(name, doc, labels=["venue"])
        for row in sorted(s.venues, key=lambda r: r.venue):
            family.add_metric([row.venue], getattr(row, attribute))
        out.append(family)
    average = _gauge(
        "memesnipe_venue_average_slippage_basis_points",
        "Mean fill slippage at each venue so far, basis points (positive = worse).",
        ["venue"],
    )
    for row in sorted(s.venues, key=lambda r: r.venue):
        if row.average_slippage_bps is not None:
            average.add_metric([row.venue], float(row.average_slippage_bps))
    out.append(average)
    return out
