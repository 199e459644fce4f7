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

from domain.events import AnyBar
from domain.risk.manager import RiskManager, ScopedTransition
from domain.trading.book import AccountBook

_NARROWING = Decimal("1e-9")
"""Each end of a band is pulled this fraction of the close inward before it is checked."""


class _Held(NamedTuple):
    # What one long position's marks are computed from, fixed until the next fill.
    strategy_id: str
    cash: Decimal
    quantity: Decimal
    cost_basis: Decimal
    flat_value: Decimal


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
        book = self.book
        cash, fills, prices = book.cash, book.fills_applied, book.last_prices
        long: _Held | None = None
        flat = True
        strategies = []
        for holding in book.holdings:
            quantity = holding.quantity
            if quantity:
                flat = False
                close = prices[holding.symbol]
                if quantity > 0:
                    cost = book.positions[holding.strategy_id].cost_basis
                    long = _Held(
                        holding.strategy_id, cash, quantity, cost, book.flat_value(holding.strategy_id)
                    )
                else:
                    long = None
                strategies.append((holding.strategy_id, book.strategy_value(holding, close)))
            else:
                strategies.append((holding.strategy_id, book.flat_value(holding.strategy_id)))
        changes = self.manager.mark(bar.ts_event, book.equity(), strategies)
        single_long = long is not None and len(book.holdings) == 1
        if self.manager.calm_until and (flat or single_long):
            self._calm_fills, self._calm_cash, self._held = fills, cash, long
            if long is not None:
                self._low, self._high = self._band(long, prices[bar.symbol])
        else:
            self._calm_fills, self._calm_cash, self._held = -1, None, None
        return changes

    def _values(self, held: _Held, close: Decimal) -> tuple[Decimal, list[tuple[str, Decimal]]]:
        # The marks of one long position at ``close``, computed exactly as ``_full`` computes them.
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
