"""A page of a log's bars read for scans: closes first, whole bars where asked.

A backtest's bars go mostly through scans of quiet bars (``Engine.scan``), which read a
bar's close and time and nothing else. ``BarPage`` holds each bar's notification id in the
source log (what the run's log records for it: its writer copies the row) and its stored
bytes, and decodes the whole bar (``StoredBar``) only for a bar that asks more: one that
acts, one a resting order may fill on, one the risk engine checks. Where the store reads
the page as columns (``columns``: each bar's time, and its close as an exact integer and
exponent), a strategy that scans columns reads those, and no bar is decoded for its scan;
otherwise ``entries`` gives each bar as its close (``BarClose``), decoded at the first ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.events import BarClose, StoredBar
from domain.market.columns import CloseColumns

Recorded = bytes | int
"""What the run's log records for a bar read from a log (``Input``'s second part)."""


class BarPage:
    """One page of one symbol's bars, read as closes (see the module)."""

    __slots__ = ("_closes", "_entries", "columns", "decode", "ids", "states", "symbol")

    def __init__(
        self,
        symbol: str,
        ids: Sequence[int],
        states: Sequence[bytes],
        decode: Callable[[bytes], StoredBar],
        closes: Callable[[Sequence[bytes]], list[BarClose]],
        columns: CloseColumns | None = None,
    ) -> None:
        self.symbol = symbol
        self.ids = ids
        """Each bar's notification id in the source log, in log order (increasing)."""
        self.states = states
        """Each bar's stored bytes (the same order)."""
        self.decode = decode
        """A stored bar's bytes to the whole bar (the store's codec)."""
        self._closes = closes
        self.columns = columns
        """The bars' times and closes as columns, where the store reads them so."""
        self._entries: list[tuple[BarClose, Recorded]] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def entries(self) -> list[tuple[BarClose, Recorded]]:
        """Each bar's close and its id, in log order (decoded at the first ask)."""
        if self._entries is None:
            self._entries = list(zip(self._closes(self.states), self.ids, strict=True))
        return self._entries

    def bar(self, index: int) -> StoredBar:
        """The whole bar at ``index``."""
        return self.decode(self.states[index])

    def whole(self) -> list[tuple[StoredBar, Recorded]]:
        """The page with every bar decoded whole (for a runner that looks at every bar's fields)."""
        decode = self.decode
        return [(decode(state), source_id) for state, source_id in zip(self.states, self.ids, strict=True)]
