"""Positions, cash, the equity curve with its drawdown, and P&L per strategy, symbol and day.

Fills are accounted with the domain's own average-cost ``Position`` (the engine's
arithmetic, so the numbers agree with reports), deduplicated by (venue, trade id)
as the engine does. Each bar marks its symbol: the account's equity, high-water
mark and drawdown are appended to the equity curve at every bar. Equity is the domain's
(``equity_of``), each position at the worse of its symbol's last accepted close and a close
the engine refused since (``worse_price``), as the engine marks it. Whether a bar was refused
is the next event's to say (the engine's refusal follows its bar), so a bar is marked once
the next event arrives, its rows written at that event's notification id: the session's end
marks the last one.

The daily P&L rows change with fills, and at the first bar of a new day each open
position's unrealized P&L is written to the day that ended; the open day's live
unrealized P&L is the positions' quantity times the latest mark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from domain.events import (
    Bar,
    Event,
    MarketDataRefused,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionEnded,
    SessionStarted,
    VenueOrderFilled,
)
from domain.trading.book import equity_of, worse_price
from domain.trading.position import Position
from projections.base import Projection, Row, Table
from projections.context import NS_PER_DAY, SessionContext, day_of, percent
from projections.partial import BarClose

ZERO = Decimal(0)


class PositionRow(Row, frozen=True, kw_only=True):
    """A strategy's position in one symbol (average cost)."""

    account: str
    strategy_id: str
    symbol: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    realized_pnl: Decimal
    fees: Decimal
    fills: int


class CashRow(Row, frozen=True, kw_only=True):
    """An account's cash."""

    account: str
    starting_cash: Decimal
    cash: Decimal


class EquityRow(Row, frozen=True, kw_only=True):
    """The account marked to market at a bar's close."""

    account: str
    symbol: str
    mark: Decimal
    cash: Decimal
    equity: Decimal
    high_water: Decimal
    drawdown_pct: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal


class DailyPnlRow(Row, frozen=True, kw_only=True):
    """Realized and unrealized P&L and fees of one strategy in one symbol on one UTC day."""

    account: str
    strategy_id: str
    symbol: str
    day: str
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    fills: int


POSITIONS = Table("rm_positions", PositionRow, ("account", "strategy_id", "symbol"), state=True)
CASH = Table("rm_cash", CashRow, ("account",), state=True)
EQUITY = Table("rm_equity", EquityRow, (), state=False)
DAILY_PNL = Table("rm_daily_pnl", DailyPnlRow, ("account", "strategy_id", "symbol", "day"), state=True)

Key = tuple[str, str, str]


class PortfolioProjection(Projection):
    """Positions and cash per account, strategy and symbol; equity curve; daily P&L."""

    name = "portfolio"
    tables = (POSITIONS, CASH, EQUITY, DAILY_PNL)
    topics = tuple(
        t.TOPIC
        for t in (
            SessionStarted,
            Bar,
            OrderApproved,
            OrderDenied,
            OrderSubmitted,
            VenueOrderFilled,
            MarketDataRefused,
            SessionEnded,
        )
    )
    partial: ClassVar[Mapping[str, type[Any]]] = {Bar.TOPIC: BarClose}

    def __init__(self) -> None:
        super().__init__()
        self.context = SessionContext()
        self.positions: dict[Key, Position] = {}
        self.cash: dict[str, Decimal] = {}
        self.marks: dict[str, Decimal] = {}
        """Each symbol's last accepted close."""
        self.refused: dict[str, Decimal] = {}
        """Each symbol's latest refused close since its last accepted one."""
        self._bar: Bar | BarClose | None = None
        """The last bar, until the next event says whether the engine refused it."""
        self.high_water: dict[str, Decimal] = {}
        self.day = ""
        self.daily: dict[Key, DailyPnlRow] = {}
        self.trade_ids: set[tuple[str, str]] = set()
        self.fills: dict[Key, int] = {}
        self._day_start = -NS_PER_DAY  # the UTC midnight (ns) that began ``day``
        self._books: dict[str, _Book] | None = None  # per account, between fills and sessions

    def handlers(self) -> dict[str, Callable[[int, Any], None]]:
        """Bars go straight to be held (they are most of the log)."""
        return {**super().handlers(), Bar.TOPIC: self._hold}

    def _hold(self, notification_id: int, bar: Bar | BarClose) -> None:
        # The bar before is marked now (its rows written at this event, when it is known accepted).
        if self._bar is not None:
            self._mark(notification_id, self._bar)
        self._bar = bar

    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event."""
        if isinstance(event, Bar | BarClose):
            self._hold(notification_id, event)
            return
        bar = self._bar
        if bar is not None:
            self._bar = None
            refused = (
                isinstance(event, MarketDataRefused)
                and event.symbol == bar.symbol
                and event.ts_event == bar.ts_event
            )
            self._mark(notification_id, bar, refused=refused)
        if isinstance(event, VenueOrderFilled):
            self._fill(notification_id, event)
        elif isinstance(event, OrderSubmitted):
            self.context.submitted(event)
        elif isinstance(event, OrderApproved | OrderDenied):
            self.context.decided(event)
        elif isinstance(event, SessionStarted):
            self._books = None
            self.context.start(event)
            self.cash[event.account] = event.starting_cash
            self.high_water[event.account] = event.starting_cash
            self.put(
                CASH,
                notification_id,
                CashRow(
                    ts=0, account=event.account, starting_cash=event.starting_cash, cash=event.starting_cash
                ),
            )

    def _fill(self, notification_id: int, fill: VenueOrderFilled) -> None:
        owner = self.context.orders.get(fill.order_id)
        if owner is None or (fill.venue, fill.trade_id) in self.trade_ids:
            return
        self.trade_ids.add((fill.venue, fill.trade_id))
        self._books = None
        day = self._roll_day(notification_id, fill.ts_event)
        key = (owner.account, owner.strategy_id, owner.symbol)
        position = self.positions.setdefault(key, Position())
        realized_before = position.realized_pnl
        position.apply_fill(fill.side, fill.quantity, fill.price, fill.fee)
        notional = fill.quantity * fill.price
        cash = self.cash.get(owner.account, ZERO) + (-notional if fill.side == "buy" else notional) - fill.fee
        self.cash[owner.account] = cash
        self.marks.setdefault(owner.symbol, fill.price)
        ts = fill.ts_event
        self.fills[key] = self.fills.get(key, 0) + 1
        self.put(POSITIONS, notification_id, _position_row(key, position, self.fills[key], ts))
        self.put(
            CASH,
            notification_id,
            CashRow(ts=ts, account=owner.account, starting_cash=self.context.starting_cash, cash=cash),
        )
        previous = self.daily.get(key)
        self._daily(
            notification_id,
            key,
            day,
            ts,
            realized=(previous.realized_pnl if previous and previous.day == day else ZERO)
            + position.realized_pnl
            - realized_before,
            fees=(previous.fees if previous and previous.day == day else ZERO) + fill.fee,
            fills=(previous.fills if previous and previous.day == day else 0) + 1,
        )

    def _mark(self, notification_id: int, bar: Bar | BarClose, refused: bool = False) -> None:
        if not self._day_start <= bar.ts_event < self._day_start + NS_PER_DAY:
            self._roll_day(notification_id, bar.ts_event)
        marks = self.marks
        if refused:
            self.refused[bar.symbol] = bar.close
        else:
            marks[bar.symbol] = bar.close
            if self.refused:
                self.refused.pop(bar.symbol, None)
        books = self._books if self._books is not None else self._open_books()
        for account, cash in self.cash.items():
            book = books[account]
            if book.flat is not None:  # nothing open: the marks change nothing
                equity, high_water, drawdown = book.flat
                unrealized = ZERO
            else:
                unrealized = ZERO
                held = [(position.quantity, self._price(symbol, position)) for symbol, position in book.open]
                for (quantity, price), (_, position) in zip(held, book.open, strict=True):
                    unrealized += quantity * price - position.cost_basis
                equity = equity_of(cash, held)
                high_water = self.high_water.get(account, equity)
                if equity > high_water:
                    high_water = equity
                self.high_water[account] = high_water
                drawdown = percent(high_water - equity, high_water)
                if not book.open:
                    book.flat = (equity, high_water, drawdown)
            self.put(
                EQUITY,
                notification_id,
                EquityRow(
                    ts=bar.ts_event,
                    account=account,
                    symbol=bar.symbol,
                    mark=bar.close,
                    cash=cash,
                    equity=equity,
                    high_water=high_water,
                    drawdown_pct=drawdown,
                    realized_pnl=book.realized,
                    unrealized_pnl=unrealized,
                    fees=book.fees,
                ),
            )

    def _price(self, symbol: str, position: Position) -> Decimal:
        # The engine's mark: the worse of the last accepted close and a refused one.
        accepted = self.marks.get(symbol, ZERO)
        return (
            worse_price(position.quantity, accepted, self.refused.get(symbol)) if self.refused else accepted
        )

    def _open_books(self) -> dict[str, _Book]:
        # Each account's realized P&L and fees over its positions, and its open positions, summed
        # in the order the positions were opened (the same sums, to the digit, as bar by bar).
        books: dict[str, _Book] = {}
        for account in self.cash:
            book = books[account] = _Book()
            for (owner, _, symbol), position in self.positions.items():
                if owner != account:
                    continue
                book.realized += position.realized_pnl
                book.fees += position.fees
                if position.quantity:
                    book.open.append((symbol, position))
        self._books = books
        return books

    def _roll_day(self, notification_id: int, ts: int) -> str:
        if self._day_start <= ts < self._day_start + NS_PER_DAY:
            return self.day
        self._day_start = ts - ts % NS_PER_DAY
        day = day_of(ts)
        if day != self.day and self.day:
            # the day that ended keeps each open position's unrealized P&L at its close
            for key, position in sorted(self.positions.items()):
                row = self.daily.get(key)
                if row is not None and row.day != self.day:
                    row = None
                if row is None and not position.quantity:
                    continue
                closing = position.unrealized_pnl(self._price(key[2], position))
                if row is None or closing != row.unrealized_pnl:
                    self._daily(
                        notification_id,
                        key,
                        self.day,
                        ts,
                        row.realized_pnl if row else ZERO,
                        row.fees if row else ZERO,
                        row.fills if row else 0,
                        closing,
                    )
        self.day = day
        return day

    def _daily(
        self,
        notification_id: int,
        key: Key,
        day: str,
        ts: int,
        realized: Decimal,
        fees: Decimal,
        fills: int,
        unrealized: Decimal | None = None,
    ) -> None:
        position = self.positions[key]
        if unrealized is None:
            unrealized = position.unrealized_pnl(self._price(key[2], position))
        row = DailyPnlRow(
            ts=ts,
            account=key[0],
            strategy_id=key[1],
            symbol=key[2],
            day=day,
            realized_pnl=realized,
            unrealized_pnl=unrealized,
            fees=fees,
            fills=fills,
        )
        self.daily[key] = row
        self.put(DAILY_PNL, notification_id, row)


class _Book:
    """An account's positions as its equity needs them, kept until the next fill or session."""

    def __init__(self) -> None:
        self.realized = ZERO
        self.fees = ZERO
        self.open: list[tuple[str, Position]] = []
        self.flat: tuple[Decimal, Decimal, Decimal] | None = None
        """With nothing open: the equity, high-water mark and drawdown, the same at every bar."""


def _position_row(key: Key, position: Position, fills: int, ts: int) -> PositionRow:
    return PositionRow(
        ts=ts,
        account=key[0],
        strategy_id=key[1],
        symbol=key[2],
        quantity=position.quantity,
        average_price=position.average_price,
        cost_basis=position.cost_basis,
        realized_pnl=position.realized_pnl,
        fees=position.fees,
        fills=fills,
    )
