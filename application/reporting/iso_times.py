"""Many timestamps as ISO-8601 UTC text at once, as ``format_timestamp`` writes each.

A report lists every round trip's entry and exit time; formatted one by one, each costs a
datetime and its ``isoformat``. numpy writes them all in one call; the text is the same, byte
for byte (property test against ``format_timestamp``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np

_kernel: Any
try:
    from application.reporting import _equity_marks as _kernel  # type: ignore[attr-defined,no-redef]
except ImportError:  # not built here: numpy and msgspec write the same bytes
    _kernel = None

_WHOLE_SECOND = ".000000"


def iso_timestamps(ts_ns: Sequence[int]) -> list[str]:
    """Each nanosecond timestamp as ``format_timestamp`` writes it: microsecond precision, the
    fraction left out when it is zero, and the UTC offset ``+00:00``."""
    if not ts_ns:
        return []
    micros = np.asarray(ts_ns, dtype=np.int64) // 1_000  # floor, as format_timestamp's //
    texts = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()
    return [
        (text[: -len(_WHOLE_SECOND)] if text.endswith(_WHOLE_SECOND) else text) + "+00:00" for text in texts
    ]


def milliseconds_json(ts_ns: Sequence[int]) -> bytes:
    """The JSON array of the timestamps in whole milliseconds (floored, as ``//``): a report's
    time axis. Written in C where built, from an ``array('q')`` without an int object per
    timestamp; the same bytes either way (tested)."""
    if _kernel is not None and getattr(ts_ns, "typecode", None) == "q":
        data: bytes = _kernel.milliseconds(ts_ns)
        return data
    return msgspec.json.encode((np.asarray(ts_ns, dtype=np.int64) // 1_000_000).tolist())


def run_in_python() -> None:
    """Leave the C module unused in this process from now on (to measure what it saves)."""
    global _kernel
    _kernel = None
