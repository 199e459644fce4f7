"""Process-level tuning for bulk work (backtests, replays, imports)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_work_gc(threshold: int = 200_000) -> Iterator[None]:
    """Fewer cyclic-garbage passes while millions of short-lived, acyclic objects stream by.

    Events are untracked (``gc=False``), but the tuples and lists around them are not;
    with the default threshold (700) the collector re-scans the growing heap over and
    over during a long run. Reference counting still frees everything promptly; only
    cycle detection runs less often.
    """
    previous = gc.get_threshold()
    gc.freeze()  # no full collection first (it would walk the whole heap): what is garbage
    # now stays until the end, then goes with the next collection
    gc.set_threshold(threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def freeze_startup_heap() -> None:
    """Move every object alive now out of the collector's reach, for a long-running server.

    Modules, routes, schemas and open connections live as long as the process; left in the
    oldest generation, each full collection walks all of them again and stalls every request
    queued behind it. Frozen, a full collection walks only what requests have left behind.
    """
    gc.collect()
    gc.freeze()
