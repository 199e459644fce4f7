"""Runs of bars as the session runner takes them: a page of a log's bars, or a slice of a list.

Both are ``BarRun``s (``domain/market/runs.py``) and say what the run's log records for a
stretch of their bars (``record``): the bars' stored bytes, or their notification ids in a
source log whose rows the log's writer copies itself.

``BarPage``: a page of one symbol's bars read from a log. It keeps each bar's notification id
in the source log and its stored bytes, and decodes the whole bar (``StoredBar``) only for a
bar that asks more than its close: one that acts, one a resting order may fill on, one the
risk engine looks at. Where the store reads the page as columns (each bar's time, and its
close as an exact integer and exponent), the closes are read from those; otherwise each bar
is decoded as its close (``BarClose``) at the first ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat
from typing import cast

from domain.events import AnyBar, BarClose, Event, StoredBar
from domain.market.columns import CloseColumns

Input = tuple[Event, bytes | int | None]
"""An input event and, when it was read from a log, what the log records for it: its stored bytes
(so it is not encoded again), or, for a bar whose run log copies the rows from the source log
itself, its notification id there (see ``BarsFromLog``)."""
BatchItem = tuple[Event | None, bytes | int | range]
"""What one commit appends per item: an event with its bytes, a copied bar's source id, or a run
of copied bars' consecutive source ids (no event for copies)."""


class BarPage:
    """One page of one symbol's bars, read as closes (see the module)."""

    __slots__ = ("_closes", "_entries", "_last_close", "columns", "decode", "ids", "states", "symbol")

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
        self._entries: list[BarClose] | None = None
        self._last_close: tuple[int, Decimal] = (-1, Decimal(0))
        """The close last asked for (a stretch's last close is asked for by several readers)."""

    def __len__(self) -> int:
        return len(self.ids)

    def _closing(self) -> list[BarClose]:
        if self._entries is None:
            self._entries = self._closes(self.states)
        return self._entries

    def bar(self, index: int) -> StoredBar:
        """The whole bar at ``index``."""
        return self.decode(self.states[index])

    def close(self, index: int) -> Decimal:
        """The close at ``index``."""
        last = self._last_close
        if last[0] == index:
            return last[1]
        columns = self.columns
        close = columns.close(index) if columns is not None else self._closing()[index].close
        self._last_close = (index, close)
        return close

    def ts(self, index: int) -> int:
        """The time of the bar at ``index``."""
        columns = self.columns
        return columns.ts[index] if columns is not None else self._closing()[index].ts_event

    def note(self, index: int) -> AnyBar:
        """The bar at ``index`` as its symbol, time and close (all a venue notes of a bar)."""
        return cast(AnyBar, BarClose(symbol=self.symbol, ts_event=self.ts(index), close=self.close(index)))

    def record(self, start: int, stop: int, batch: list[BatchItem], encode: Callable[[Event], bytes]) -> int:
        """Append the bars ``start:stop`` to ``batch`` by their source ids (a consecutive stretch
        as one ``range``); the rows beyond one an item it added."""
        ids = self.ids
        first, count = ids[start], stop - start
        if ids[stop - 1] - first == count - 1:  # consecutive in the source: one run
            batch.append((None, range(first, first + count)))
            return count - 1
        batch.extend(zip(repeat(None), ids[start:stop]))
        return 0

    def whole(self) -> list[tuple[StoredBar, int]]:
        """The page with every bar decoded whole, with its source id."""
        decode = self.decode
        return [(decode(state), source_id) for state, source_id in zip(self.states, self.ids, strict=True)]


class ListRun:
    """Consecutive bars of one symbol in a list of inputs: ``inputs[offset:offset + size]``."""

    __slots__ = ("inputs", "offset", "size", "symbol")

    columns: CloseColumns | None = None
    """A list's closes are read one by one: no columns."""

    def __init__(self, inputs: Sequence[Input], offset: int, size: int, symbol: str) -> None:
        self.inputs = inputs
        self.offset = offset
        self.size = size
        self.symbol = symbol

    def __len__(self) -> int:
        return self.size

    def bar(self, index: int) -> AnyBar:
        """The bar at ``index`` (whole, as the list holds it)."""
        return cast(AnyBar, self.inputs[self.offset + index][0])

    def close(self, index: int) -> Decimal:
        """The close at ``index``."""
        return self.bar(index).close

    def ts(self, index: int) -> int:
        """The time of the bar at ``index``."""
        return self.bar(index).ts_event

    def note(self, index: int) -> AnyBar:
        """The bar at ``index`` (a venue notes its close and time)."""
        return self.bar(index)

    def record(self, start: int, stop: int, batch: list[BatchItem], encode: Callable[[Event], bytes]) -> int:
        """Append the bars ``start:stop`` with their stored bytes (encoded here where the list has
        none) or their source ids; no item holds more than one row."""
        offset = self.offset
        for event, stored in self.inputs[offset + start : offset + stop]:
            batch.append((event, encode(event) if stored is None else stored))
        return 0


def symbol_runs(page: Sequence[Input], is_bar: Callable[[Event], bool]) -> list[tuple[int, int, str | None]]:
    """``page`` cut into stretches: each maximal run of one symbol's bars as (start, stop, symbol),
    and each other input alone as (index, index + 1, None)."""
    stretches: list[tuple[int, int, str | None]] = []
    index, size = 0, len(page)
    while index < size:
        event = page[index][0]
        if not is_bar(event):
            stretches.append((index, index + 1, None))
            index += 1
            continue
        symbol = cast(AnyBar, event).symbol
        stop = index + 1
        while stop < size and is_bar(page[stop][0]) and cast(AnyBar, page[stop][0]).symbol == symbol:
            stop += 1
        stretches.append((index, stop, symbol))
        index = stop
    return stretches
