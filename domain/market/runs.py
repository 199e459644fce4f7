"""A run of bars: consecutive bars of one symbol, as the engine takes market data in bulk.

A run may come from a log (its closes read as exact integer columns, each bar decoded whole
only when asked) or from a list of bars; either way it answers the same questions. The engine
hands runs to a strategy's ``scan`` and to the risk engine, which may read the columns when a
run has them and the closes one by one when it has not.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from domain.events.market import AnyBar
from domain.market.columns import CloseColumns


class BarRun(Protocol):
    """Consecutive bars of one symbol (see the module docstring)."""

    @property
    def symbol(self) -> str:
        """The symbol of every bar of the run."""
        ...

    @property
    def columns(self) -> CloseColumns | None:
        """The bars' times and exact closes as integer columns, where the run was read so."""
        ...

    def __len__(self) -> int: ...

    def bar(self, index: int) -> AnyBar:
        """The whole bar at ``index`` (decoded when asked)."""
        ...

    def close(self, index: int) -> Decimal:
        """The close of the bar at ``index``: the very Decimal stored."""
        ...

    def ts(self, index: int) -> int:
        """The time (``ts_event``) of the bar at ``index``."""
        ...

    def note(self, index: int) -> AnyBar:
        """The bar at ``index`` as cheaply as it comes with its symbol, time and close (all that
        a venue notes of a bar, or a mark takes)."""
        ...
