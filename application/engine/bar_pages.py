"""A page of a log's bars read for scans: closes first, whole bars where asked.

A backtest's bars go mostly through scans of quiet bars (``Engine.scan``), which read a
bar's close and time and nothing else. ``BarPage`` holds each bar as a ``BarClose`` with what
the run's log records for it, and decodes the whole bar (``StoredBar``) from its stored bytes
only for a bar that asks more: one that acts, one a resting order may fill on, one the risk
engine checks. The runner takes the entries for its scans and ``bar`` for the rest; a strategy
that scans columns takes ``columns`` (each close as an exact integer and exponent) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.events import BarClose, StoredBar
from domain.market.columns import CloseColumns

Recorded = bytes | int
"""What the run's log records for a bar read from a log (``Input``'s second part)."""


@dataclass(frozen=True, slots=True)
class BarPage:
    """One page of one symbol's bars, read as closes (see the module); each bar has what the log
    records for it (never None)."""

    entries: list[tuple[BarClose, Recorded]]
    """Each bar's close and what the log records for it, in log order."""
    states: Sequence[bytes]
    """Each bar's stored bytes (the same order)."""
    decode: Callable[[bytes], StoredBar]
    """A stored bar's bytes to the whole bar (the store's codec)."""
    columns: CloseColumns | None = None
    """The same bars' times and closes as columns, where the codec reads them (a strategy that
    scans columns reads these: ``SmaCross.scan_columns``)."""

    def __len__(self) -> int:
        return len(self.entries)

    def bar(self, index: int) -> StoredBar:
        """The whole bar at ``index``."""
        return self.decode(self.states[index])

    def whole(self) -> list[tuple[StoredBar, Recorded]]:
        """The page with every bar decoded whole (for a runner that looks at every bar's fields)."""
        decode, pairs = self.decode, zip(self.states, self.entries, strict=True)
        return [(decode(state), recorded) for state, (_, recorded) in pairs]
