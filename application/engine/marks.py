"""Marking the account and its strategies at every bar close, without the marks that cannot matter.

The breakers judge every close (``RiskManager.mark``), yet most closes change nothing they
can see: after a mark that found every breaker calm and every watch quiet, the manager
says until when that holds for marks of the same values (``calm_from``/``calm_until``: the
rest of that day, unless something moves a breaker, a watch or the limits). Until then,
and until the next fill:
- every slot flat: the next marks are the same values again, so they are not taken;
- one slot, long: equity and the strategy's value only rise with the close (every Decimal
  operation here rounds monotonically), so a band of closes whose two ends are quiet keeps
  every close inside it quiet. Such a close is kept as the pending mark and taken (``flush``)
  before anything reads or moves the watches, with the cash and position of its own bar.
A quiet mark only records the equity it saw, so taking the last one late leaves the
manager exactly as taking each in turn would; any other close takes the full path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from application.engine.screen import LongMarks
from domain.events import AnyBar
from domain.market.runs import BarRun
from domain.risk.equity import EquityWatch
from domain.risk.limits import NS_PER_DAY
from domain.risk.manager import RiskManager, ScopedTransition
from domain.trading.book import AccountBook, equity_of

_NARROWING = Decimal("1e-9")
"""Each end of a band is pulled this fraction of the close inward before it is checked."""


class _Held(NamedTuple):
    # What one long position's marks are computed from, fixed until the next fill.
    strategy_id: str
    cash: Decimal
    quantity: Decimal
    cost_basis: Decimal
    flat_value: Decimal


def _watched(watch: EquityWatch) -> tuple[float, float, float, float]:
    drawdown, daily = watch.factors
    return float(watch.high_water), float(drawdown), float(watch.day_open), float(daily)


class Marks:
    """Takes each bar's marks to the manager, or proves it need not (see the module docstring)."""

    def __init__(self, manager: RiskManager, book: AccountBook) -> None:
        self.manager = manager
        self.book = book
        self._calm_fills = -1
        self._calm_cash: Decimal | None = None
        self._held: _Held | None = None
        """The long position of a band (None: every slot flat)."""
        self._low = self._high = Decimal(0)
        self._pending: AnyBar | None = None
        self._figures_at = -1
        self._figures = (0.0, 0.0, 0.0, 0.0)
        """Cash, quantity, flat value and cost basis in floats, as of ``_figures_at`` fills."""
        self._held_now = _Held("", Decimal(0), Decimal(0), Decimal(0), Decimal(0))
        """The position as of ``_figures_at`` fills (what ``screenable`` screened)."""
        self._watch_floats: dict[int, tuple[int, tuple[float, float, float, float]]] = {}
        self._screened_for: tuple[int, int, int] | None = None
        self._screened: tuple[int, int, LongMarks] | None = None
        """``screenable``'s last answer, and the fills and watch revisions it holds for."""

    def take(self, bar: AnyBar) -> list[ScopedTransition]:
        """Mark to ``bar``'s close; the transitions it causes (none when the mark was not needed)."""
        ts = bar.ts_event
        manager, book = self.manager, self.book
        if (
            book.fills_applied == self._calm_fills
            and book.cash is self._calm_cash
            and manager.calm_from <= ts < manager.calm_until
        ):
            if self._held is None:
                return []
            if self._low <= bar.close <= self._high:
                self._pending = bar
                return []
        self.flush()
        return self._full(bar)

    def screenable(self) -> tuple[int, int, LongMarks] | None:
        """While marks can be screened in bulk (every breaker calm, one strategy, not short): the
        watches' day [from, until), and what the marks are made of; else None."""
        book, manager = self.book, self.manager
        holdings = book.holdings
        if len(holdings) != 1 or not manager.account.calm:
            return None
        holding = holdings[0]
        strategy_id = holding.strategy_id
        account, strategy = manager.account_watch, manager.strategy_watches[strategy_id]
        if holding.quantity < 0 or not manager.strategies[strategy_id].calm:
            return None
        key = (book.fills_applied, account.revision, strategy.revision)
        if key == self._screened_for:
            return self._screened
        day = account.day
        if day is None or strategy.day != day:
            return None
        if self._figures_at != book.fills_applied:
            self._held_now = self._position(holding.strategy_id, holding.quantity)
            held = self._held_now
            self._figures = (
                float(held.cash),
                float(held.quantity),
                float(held.flat_value),
                float(held.cost_basis),
            )
            self._figures_at = book.fills_applied
        since = day * NS_PER_DAY + account.offset_ns
        figures = LongMarks(*self._figures, self._watched(account), self._watched(strategy))
        self._screened_for, self._screened = key, (since, since + NS_PER_DAY, figures)
        return self._screened

    def _watched(self, watch: EquityWatch) -> tuple[float, float, float, float]:
        # A watch's figures in floats, made again only when its revision moved.
        known = self._watch_floats.get(id(watch))
        if known is not None and known[0] == watch.revision:
            return known[1]
        floats = _watched(watch)
        self._watch_floats[id(watch)] = (watch.revision, floats)
        return floats

    def _position(self, strategy_id: str, quantity: Decimal) -> _Held:
        book = self.book
        position = book.positions.get(strategy_id)
        cost = position.cost_basis if position is not None else Decimal(0)
        return _Held(strategy_id, book.cash, quantity, cost, book.flat_value(strategy_id))

    def absorb(self, run: BarRun, highest: int | None, last: int) -> None:
        """The marks of bars of ``run`` up to ``last``, which a screen of ``screenable`` found
        quiet or new highs on the watches' day, ``highest`` the first with the highest close where
        it may be a new high: that one is marked first, then the last (marking each in turn leaves
        the watches so: quiet marks only note the equity, and the highest sets the high-water
        mark). While the band of quiet closes holds, each as any mark is taken (kept pending when
        quiet); after a fill, the two marks are taken as they are, the band left to the next
        mark taken one at a time."""
        book = self.book
        if book.fills_applied == self._calm_fills and book.cash is self._calm_cash:
            if highest is not None and highest != last:
                self.take(run.note(highest))
            self.take(run.note(last))
            return
        self.flush()
        held, mark = self._held_now, self.manager.mark
        if highest is not None and highest != last:
            assert not mark(run.ts(highest), *self._values(held, run.close(highest))), "a screened mark moved"
        assert not mark(run.ts(last), *self._values(held, run.close(last))), "a screened mark moved"

    def probe(self, ts_ns: int) -> list[ScopedTransition]:
        """Judge the account and its strategies at their mark prices (refused ones counted) without
        taking the marks (``RiskManager.probe``)."""
        self.flush()
        book = self.book
        strategies = [(h.strategy_id, book.strategy_value(h, book.mark_price(h))) for h in book.holdings]
        return self.manager.probe(ts_ns, book.equity(), strategies)

    def flush(self) -> None:
        """Take the pending mark, if any (before the watches are read or moved)."""
        bar = self._pending
        if bar is not None:
            self._pending = None
            held = self._held
            assert held is not None
            changes = self.manager.mark(bar.ts_event, *self._values(held, bar.close))
            assert not changes, "a mark inside a calm band changed a breaker"

    def _full(self, bar: AnyBar) -> list[ScopedTransition]:
        # Every holding at its symbol's last price, the bar's own close for the bar's symbol (the
        # book's price there, when the bar comes one at a time).
        book = self.book
        cash, fills, prices = book.cash, book.fills_applied, book.last_prices
        long: _Held | None = None
        flat = True
        marks, strategies = [], []
        for holding in book.holdings:
            quantity, strategy_id = holding.quantity, holding.strategy_id
            if not quantity:
                strategies.append((strategy_id, book.flat_value(strategy_id)))
                continue
            flat = False
            close = bar.close if holding.symbol == bar.symbol else prices[holding.symbol]
            marks.append((quantity, close))
            strategies.append((strategy_id, book.strategy_value(holding, close)))
            cost = book.positions[strategy_id].cost_basis
            long = (
                _Held(strategy_id, cash, quantity, cost, book.flat_value(strategy_id))
                if quantity > 0
                else None
            )
        confirmed = not book.refused_prices
        changes = self.manager.mark(bar.ts_event, equity_of(cash, marks), strategies, confirmed)
        if not confirmed:  # refused prices elsewhere still count against the account
            changes += self.probe(bar.ts_event)
        single_long = long is not None and len(book.holdings) == 1
        if self.manager.calm_until and (flat or single_long):
            self._calm_fills, self._calm_cash, self._held = fills, cash, long
            if long is not None:
                self._low, self._high = self._band(long, bar.close)
        else:
            self._calm_fills, self._calm_cash, self._held = -1, None, None
        return changes

    def _values(self, held: _Held, close: Decimal) -> tuple[Decimal, list[tuple[str, Decimal]]]:
        # The marks of one position at ``close``, computed exactly as ``_full`` computes them (a
        # flat one's are the cash and the flat value themselves: no zero product added).
        if not held.quantity:
            return held.cash, [(held.strategy_id, held.flat_value)]
        product = held.quantity * close
        return held.cash + product, [(held.strategy_id, held.flat_value + (product - held.cost_basis))]

    def _quiet(self, held: _Held, close: Decimal) -> bool:
        equity, [(strategy_id, value)] = self._values(held, close)
        account, strategy = self.manager.account_watch, self.manager.strategy_watches[strategy_id]
        return account.quiet_at(equity) and strategy.quiet_at(value)

    def _band(self, held: _Held, close: Decimal) -> tuple[Decimal, Decimal]:
        # The closes whose marks stay quiet: from the floors and high-water marks by division,
        # pulled inward, and kept only if their marks are quiet (else the band shrinks to the
        # close just marked, which was).
        account, strategy = self.manager.account_watch, self.manager.strategy_watches[held.strategy_id]
        quantity, margin = held.quantity, abs(close) * _NARROWING
        low = max(
            (account.floor - held.cash) / quantity,
            (strategy.floor - held.flat_value + held.cost_basis) / quantity,
        )
        high = min(
            (account.high_water - held.cash) / quantity,
            (strategy.high_water - held.flat_value + held.cost_basis) / quantity,
        )
        low, high = low + margin, high - margin
        if not (low <= close and self._quiet(held, low)):
            low = close
        if not (close <= high and self._quiet(held, high)):
            high = close
        return low, high
