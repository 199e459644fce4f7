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
        """Mark the account at each bar of ``start:stop`` as the book's ``equity`` does (refused
        closes counted against positions): a refused bar (the book's refused price of its symbol
        is its close) as the book stands after it; accepted bars at their closes, with one holding
        of the run's symbol in one pass over the run's columns (or closes), else bar by bar."""
        if stop <= start:
            return
        symbol, holdings = run.symbol, book.holdings
        if book.refused_prices and symbol in book.refused_prices:  # one refused bar, the last handled
            self.timestamps.append(run.ts(start))
            self.equity.append(book.equity())
            self.bars_in_market += any(holding.quantity for holding in holdings)
        elif len(holdings) == 1 and holdings[0].symbol == symbol:
            self._one_holding(run, start, stop, book)
        else:
            self._bar_by_bar(run, start, stop, book)
        self.last_close[symbol] = run.close(stop - 1)

    def _one_holding(self, run: BarRun, start: int, stop: int, book: AccountBook) -> None:
        quantity, cash, columns = book.holdings[0].quantity, book.cash, run.columns
        if stop - start == 1:  # one bar (often: the one that acted), marked at once
            self.timestamps.append(run.ts(start))
            self.equity.append(equity_of(cash, ((quantity, run.close(start)),)) if quantity else cash)
            self.bars_in_market += bool(quantity)
            return
        if columns is not None:
            self.timestamps.extend(columns.ts[start:stop])
        else:
            self.timestamps.extend([run.ts(index) for index in range(start, stop)])
        if not quantity:
            self.equity.repeat(cash, stop - start)
            return
        if columns is not None:
            self.equity.marks(cash, quantity, columns, start, stop)  # equity_of, when the curve is read
        else:
            close = run.close
            self.equity.extend([equity_of(cash, ((quantity, close(index)),)) for index in range(start, stop)])
        self.bars_in_market += stop - start

    def _bar_by_bar(self, run: BarRun, start: int, stop: int, book: AccountBook) -> None:
        # The run's symbol at each bar's close, the others at their mark prices.
        symbol, cash = run.symbol, book.cash
        held = [
            (holding.quantity, holding.symbol == symbol, holding)
            for holding in book.holdings
            if holding.quantity
        ]
        others = {id(holding): book.mark_price(holding) for _, mine, holding in held if not mine}
        for index in range(start, stop):
            close = run.close(index)
            marks = [(quantity, close if mine else others[id(holding)]) for quantity, mine, holding in held]
            self.timestamps.append(run.ts(index))
            self.equity.append(equity_of(cash, marks))
            self.bars_in_market += bool(held)
