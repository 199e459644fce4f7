"""Process-level tuning for bulk work (backtests, replays, imports)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_work_gc(threshold: int = 200_000) -> Iterator[None]:
    """Fewer cyclic-garbage passes while millions of short-lived, acyclic objects stream by.

    Events are untracked (``gc=False``), but the tuples and lists around them are not;
    with the default threshold (700) the collector re-scans the growing heap thousands
    of times per million bars (measured: about a fifth of a backtest's time). Reference
    counting still frees everything promptly; only cycle detection runs less often.
    """
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
