"""Watching a session to build its report: equity at each bar close, trades, the digest."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import cast
from uuid import UUID

from application.engine.engine import Engine, Input
from application.engine.replay import DecisionDigest
from application.engine.session import SessionObserver
from application.reporting.equity_curve import EquityCurve
from application.reporting.trades import TradeTracker
from domain.events import (
    AnyBar,
    BreakerChanged,
    Event,
    MarketDataRefused,
    OrderDenied,
    OrderSubmitted,
    VenueOrderFilled,
)
from domain.market.columns import CloseColumns

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
        self._order_strategy: dict[UUID, str] = {}
        self._realized: dict[str, Decimal] = {}
        self._fills_seen = 0
        self.denials: Counter[str] = Counter()
        self.orders_sent = 0
        self.data_refused: Counter[str] = Counter()
        self.breaker_changes: list[BreakerChanged] = []

    def on_event(self, event: Event, engine: Engine, stored: bytes) -> None:
        """Digest decisions; follow the fills the engine applied into round trips."""
        kind = type(event)  # these event classes have no subclasses: identity tests, the fastest
        if not kind.IS_INPUT:
            self.digest.add(kind.TOPIC, stored)
            if type(event) is OrderSubmitted:
                self._order_strategy[event.order_id] = event.strategy_id
                self.orders_sent += 1
            elif type(event) is OrderDenied:
                self.denials[event.reason] += 1
            elif type(event) is BreakerChanged:
                self.breaker_changes.append(event)
            elif type(event) is MarketDataRefused:
                self.data_refused[event.reason] += 1
            return
        if type(event) is not VenueOrderFilled or engine.fills_applied == self._fills_seen:
            return  # not a fill, or a fill the engine ignored (a repeat, an unknown order)
        self._fills_seen = engine.fills_applied
        strategy_id = self._order_strategy[event.order_id]
        position = engine.account.positions[strategy_id]
        before = self._realized.get(strategy_id, _ZERO)
        self.trades.on_fill(
            strategy_id,
            engine.slot(strategy_id).config.symbol,
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

    def after_bar(self, bar: AnyBar, engine: Engine) -> None:
        """Mark the account to this bar's close."""
        last_close = self.last_close
        last_close[bar.symbol] = bar.close
        equity = engine.account.cash
        in_market = False
        for slot in engine.slots:
            quantity = slot.quantity
            if quantity:
                in_market = True
                equity += quantity * last_close.get(slot.symbol, _ZERO)
        self.timestamps.append(bar.ts_event)
        self.equity.append(equity)
        self.bars_in_market += in_market

    def after_bars(self, inputs: Sequence[Input], start: int, stop: int, engine: Engine) -> None:
        """``after_bar`` over a scan's bars: with one strategy, the same sums in one loop."""
        if stop <= start:
            return
        if len(engine.slots) != 1:
            super().after_bars(inputs, start, stop, engine)
            return
        slot = engine.slots[0]
        quantity, cash = slot.quantity, engine.account.cash
        bars = cast(Sequence[tuple[AnyBar, bytes | None]], inputs)  # bars of the strategy's symbol (a scan's)
        self.timestamps.extend([bars[index][0].ts_event for index in range(start, stop)])
        if quantity:
            self.equity.extend([cash + quantity * bars[index][0].close for index in range(start, stop)])
            self.bars_in_market += stop - start
        else:
            self.equity.repeat(cash, stop - start)
        self.last_close[slot.symbol] = bars[stop - 1][0].close

    def after_closes(self, columns: CloseColumns, start: int, stop: int, engine: Engine, symbol: str) -> None:
        """``after_bars`` over a scan of a page's columns: the same marks, from each close as stored."""
        if stop <= start:
            return
        if len(engine.slots) != 1:
            super().after_closes(columns, start, stop, engine, symbol)
            return
        quantity, cash = engine.slots[0].quantity, engine.account.cash
        self.timestamps.extend(columns.ts[start:stop])
        if quantity:
            self.equity.marks(cash, quantity, columns, start, stop)  # computed when the curve is read
            self.bars_in_market += stop - start
        else:
            self.equity.repeat(cash, stop - start)
        self.last_close[symbol] = columns.close(stop - 1)
