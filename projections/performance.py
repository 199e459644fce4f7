"""Strategy performance, updated as each round trip closes.

A round trip runs from a flat position to flat again; its P&L is the realized
P&L of its fills net of their fees, its return that P&L over the notional it
opened with. Statistics (definitions, all over closed round trips):
- return %: net P&L over the session's starting cash;
- Sharpe: mean over sample standard deviation of round-trip returns (per trade,
  not annualized; undefined below two trades);
- max drawdown %: peak-to-trough of starting cash plus cumulative net P&L,
  sampled at each close (realized only: open positions are in the portfolio view);
- win rate %: winning round trips (P&L > 0) over all.
"""

from __future__ import annotations

from decimal import Decimal

from domain.events import Event, OrderApproved, OrderDenied, OrderSubmitted, SessionStarted, VenueOrderFilled
from domain.trading.position import Position
from projections.base import Projection, Row, Table
from projections.context import SessionContext, percent

ZERO = Decimal(0)
RATIO_QUANTUM = Decimal("0.000001")


class StrategyPerformanceRow(Row, frozen=True, kw_only=True):
    """A strategy's results over its closed round trips."""

    account: str
    strategy_id: str
    trades: int
    wins: int
    losses: int
    win_rate_pct: Decimal
    net_pnl: Decimal
    gross_profit: Decimal
    gross_loss: Decimal
    profit_factor: Decimal | None
    return_pct: Decimal
    sharpe: Decimal | None
    max_drawdown_pct: Decimal


PERFORMANCE = Table("rm_strategy_performance", StrategyPerformanceRow, ("account", "strategy_id"), state=True)


class _Stats:
    def __init__(self, starting_cash: Decimal) -> None:
        self.starting_cash = starting_cash
        self.trades = self.wins = self.losses = 0
        self.net = self.gross_profit = self.gross_loss = ZERO
        self.sum_returns = self.sum_squares = ZERO
        self.peak = starting_cash
        self.max_drawdown = ZERO


class _Trip:
    def __init__(self) -> None:
        self.position = Position()
        self.opened_notional = ZERO


class PerformanceProjection(Projection):
    """One row per account and strategy, versioned at every closed round trip."""

    name = "strategy_performance"
    tables = (PERFORMANCE,)
    topics = tuple(
        t.TOPIC for t in (SessionStarted, OrderApproved, OrderDenied, OrderSubmitted, VenueOrderFilled)
    )

    def __init__(self) -> None:
        super().__init__()
        self.context = SessionContext()
        self.trips: dict[tuple[str, str, str], _Trip] = {}
        self.stats: dict[tuple[str, str], _Stats] = {}
        self.trade_ids: set[tuple[str, str]] = set()

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        if isinstance(event, VenueOrderFilled):
            self._fill(notification_id, event)
        elif isinstance(event, OrderSubmitted):
            self.context.submitted(event)
        elif isinstance(event, OrderApproved | OrderDenied):
            self.context.decided(event)
        elif isinstance(event, SessionStarted):
            self.context.start(event)

    def _fill(self, notification_id: int, fill: VenueOrderFilled) -> None:
        owner = self.context.orders.get(fill.order_id)
        if owner is None or (fill.venue, fill.trade_id) in self.trade_ids:
            return
        self.trade_ids.add((fill.venue, fill.trade_id))
        trip = self.trips.setdefault((owner.account, owner.strategy_id, owner.symbol), _Trip())
        before = trip.position.quantity
        signed = fill.quantity if fill.side == "buy" else -fill.quantity
        if before == 0 or (before > 0) == (signed > 0):
            trip.opened_notional += fill.quantity * fill.price
        trip.position.apply_fill(fill.side, fill.quantity, fill.price, fill.fee)
        if trip.position.quantity != 0 and (before == 0 or (before > 0) == (trip.position.quantity > 0)):
            return
        pnl = trip.position.realized_pnl - trip.position.fees
        returned = pnl / trip.opened_notional if trip.opened_notional else ZERO
        key = (owner.account, owner.strategy_id)
        stats = self.stats.setdefault(key, _Stats(self.context.starting_cash))
        self._close(stats, pnl, returned)
        self.trips[(owner.account, owner.strategy_id, owner.symbol)] = _Trip()
        if trip.position.quantity:  # the fill flipped the position: the new side opens a new trip
            reopened = self.trips[(owner.account, owner.strategy_id, owner.symbol)]
            reopened.position.apply_fill(fill.side, abs(trip.position.quantity), fill.price)
            reopened.opened_notional = abs(trip.position.quantity) * fill.price
        self.put(PERFORMANCE, notification_id, _row(owner.account, owner.strategy_id, stats, fill.ts_event))

    @staticmethod
    def _close(stats: _Stats, pnl: Decimal, returned: Decimal) -> None:
        stats.trades += 1
        stats.net += pnl
        if pnl > 0:
            stats.wins += 1
            stats.gross_profit += pnl
        else:
            stats.losses += 1
            stats.gross_loss -= pnl
        stats.sum_returns += returned
        stats.sum_squares += returned * returned
        equity = stats.starting_cash + stats.net
        stats.peak = max(stats.peak, equity)
        stats.max_drawdown = max(stats.max_drawdown, percent(stats.peak - equity, stats.peak))


def _row(account: str, strategy_id: str, stats: _Stats, ts: int) -> StrategyPerformanceRow:
    n = stats.trades
    sharpe = None
    if n >= 2:
        mean = stats.sum_returns / n
        variance = (stats.sum_squares - n * mean * mean) / (n - 1)
        if variance > 0:
            sharpe = (mean / variance.sqrt()).quantize(RATIO_QUANTUM)
    return StrategyPerformanceRow(
        ts=ts,
        account=account,
        strategy_id=strategy_id,
        trades=n,
        wins=stats.wins,
        losses=stats.losses,
        win_rate_pct=percent(Decimal(stats.wins), Decimal(n)),
        net_pnl=stats.net,
        gross_profit=stats.gross_profit,
        gross_loss=stats.gross_loss,
        profit_factor=(stats.gross_profit / stats.gross_loss).quantize(RATIO_QUANTUM)
        if stats.gross_loss
        else None,
        return_pct=percent(stats.net, stats.starting_cash),
        sharpe=sharpe,
        max_drawdown_pct=stats.max_drawdown,
    )
