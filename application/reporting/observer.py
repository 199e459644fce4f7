"""Watching a session to build its report: equity at each bar close, trades, the digest."""

from __future__ import annotations

from array import array
from collections import Counter
from decimal import Decimal
from uuid import UUID

from application.engine.replay import DecisionDigest
from application.engine.session import SessionObserver
from application.reporting.equity_curve import EquityCurve
from application.reporting.trades import TradeTracker
from domain.events import (
    BreakerChanged,
    Event,
    MarketDataRefused,
    OrderDenied,
    OrderSubmitted,
    VenueOrderFilled,
)
from domain.market.runs import BarRun
from domain.trading.book import AccountBook, equity_of

_ZERO = Decimal(0)


class ReportObserver(SessionObserver):
    """Collects what a backtest report needs while the session runs."""

    def __init__(self) -> None:
        self.digest = DecisionDigest()
        self.timestamps = array("q")
        """Each bar's time (ns), in a machine array the statistics read without a copy."""
        self.equity = EquityCurve()
        """The marks, kept as runs until read (its floats are the statistics' curve)."""
        self.bars_in_market = 0
        self.trades = TradeTracker()
        self.last_close: dict[str, Decimal] = {}
        self._order_strategy: dict[UUID, tuple[str, str]] = {}
        """Each order's strategy and symbol."""
        self._realized: dict[str, Decimal] = {}
        self._fills_seen = 0
        self.denials: Counter[str] = Counter()
        self.orders_sent = 0
        self.data_refused: Counter[str] = Counter()
        self.breaker_changes: list[BreakerChanged] = []

    def on_event(self, event: Event, book: AccountBook, stored: bytes) -> None:
        """Digest decisions; follow the fills the engine applied into round trips."""
        kind = type(event)  # these event classes have no subclasses: identity tests, the fastest
        if not kind.IS_INPUT:
            self.digest.add(kind.TOPIC, stored)
            if type(event) is OrderSubmitted:
                self._order_strategy[event.order_id] = (event.strategy_id, event.symbol)
                self.orders_sent += 1
            elif type(event) is OrderDenied:
                self.denials[event.reason] += 1
            elif type(event) is BreakerChanged:
                self.breaker_changes.append(event)
            elif type(event) is MarketDataRefused:
                self.data_refused[event.reason] += 1
            return
        if type(event) is not VenueOrderFilled or book.fills_applied == self._fills_seen:
            return  # not a fill, or a fill the engine ignored (a repeat, an unknown order)
        self._fills_seen = book.fills_applied
        strategy_id, symbol = self._order_strategy[event.order_id]
        position = book.positions[strategy_id]
        before = self._realized.get(strategy_id, _ZERO)
        self.trades.on_fill(
            strategy_id,
            symbol,
            event.side,
            event.quantity,
            event.price,
            event.fee,
            event.ts_event,
            position.realized_pnl,
            before,
            position.quantity,
        )
        self._realized[strategy_id] = position.realized_pnl

    def after_bars(self, run: BarRun, start: int, stop: int, book: AccountBook) -> None:
        """Mark the account at each close of ``start:stop`` (``equity_of``): with one holding, of
        the run's symbol, in one pass over the run's columns (or closes); else bar by bar."""
        if stop <= start:
            return
        symbol, holdings = run.symbol, book.holdings
        if len(holdings) != 1 or holdings[0].symbol != symbol:
            self._bar_by_bar(run, start, stop, book)
            return
        quantity, cash, columns = holdings[0].quantity, book.cash, run.columns
        if columns is not None:
            self.timestamps.extend(columns.ts[start:stop])
        else:
            self.timestamps.extend([run.ts(index) for index in range(start, stop)])
        if not quantity:
            self.equity.repeat(cash, stop - start)
        elif columns is not None:
            self.equity.marks(cash, quantity, columns, start, stop)  # equity_of, when the curve is read
        else:
            close = run.close
            self.equity.extend([equity_of(cash, ((quantity, close(index)),)) for index in range(start, stop)])
        if quantity:
            self.bars_in_market += stop - start
        self.last_close[symbol] = run.close(stop - 1)

    def _bar_by_bar(self, run: BarRun, start: int, stop: int, book: AccountBook) -> None:
        last_close, symbol, cash = self.last_close, run.symbol, book.cash
        held = [holding for holding in book.holdings if holding.quantity]
        for index in range(start, stop):
            last_close[symbol] = run.close(index)
            marks = [(holding.quantity, last_close.get(holding.symbol, _ZERO)) for holding in held]
            self.timestamps.append(run.ts(index))
            self.equity.append(equity_of(cash, marks))
            self.bars_in_market += bool(held)
