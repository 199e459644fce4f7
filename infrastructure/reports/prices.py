"""The closes a backtest's HTML report draws its price chart from, read back from the run's own log.

The JSON report holds no prices, and adding them would change its bytes; the engine and its
report observer need not carry them either. The run's log already holds every bar the engine
saw, in the order it saw them: once the run is over, its symbol's bars are read back as time and
close columns (``Codec.close_columns``: straight from the stored bytes where the C reader is
built, else each bar decoded as a ``BarClose``) into two arrays, which the HTML writer reduces to
the minimum and maximum of each of its buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from application.ports import Codec, EventLog
from domain.events import Bar, BarClose

PAGE = 10_000
"""Bars read per page of the log."""


@dataclass(frozen=True)
class Closes:
    """Each bar's time (ms since 1970, UTC) and close (as a float: for drawing only), in log order."""

    time_ms: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.close)


def closes_from_log(log: EventLog, codec: Codec, symbol: str) -> Closes:
    """The closes of ``symbol``'s bars in ``log``."""
    times: list[np.ndarray] = []
    closes: list[np.ndarray] = []
    for _, states in log.read_states(Bar.TOPIC, 0, PAGE):
        columns = codec.close_columns(states, symbol)
        if columns is not None:
            times.append(np.asarray(columns.ts, dtype=np.int64) // 1_000_000)
            closes.append(_floats(columns.coefficients, columns.exponents))
            continue
        bars = [bar for bar in codec.decode_many(Bar.TOPIC, states, BarClose) if bar.symbol == symbol]
        times.append(np.asarray([bar.ts_event for bar in bars], dtype=np.int64) // 1_000_000)
        closes.append(np.asarray([float(bar.close) for bar in bars], dtype=np.float64))
    if not times:
        return Closes(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
    return Closes(np.concatenate(times), np.concatenate(closes))


def _floats(coefficients: Sequence[int], exponents: Sequence[int]) -> np.ndarray:
    # coefficient / 10**-exponent: one rounding (as float() of the Decimal, while the coefficient
    # and the power of ten are exact doubles), where multiplying by 10.0**exponent rounds twice
    digits = np.asarray(coefficients, dtype=np.float64)
    scale = np.power(10.0, np.abs(np.asarray(exponents, dtype=np.float64)))
    return np.where(np.asarray(exponents) < 0, digits / scale, digits * scale)
