"""Process-level garbage-collector tuning."""

from __future__ import annotations

import gc

from infrastructure.runtime import bulk_work_gc, freeze_startup_heap


def test_bulk_work_raises_the_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with bulk_work_gc(threshold=123_456):
        assert gc.get_threshold()[0] == 123_456
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before


def test_a_frozen_startup_heap_is_out_of_the_collectors_reach() -> None:
    gc.unfreeze()
    cyclic: dict[str, list[object]] = {"self": []}
    cyclic["self"].append(cyclic)
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert all(o is not cyclic for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
