"""What the ports count: the rows a batch appends."""

from __future__ import annotations

from application.ports import CountedBatch, rows_in


def test_rows_count_each_item_once_and_a_run_of_copies_by_its_length() -> None:
    items: list[tuple[object, object]] = [
        ("bar", 7),
        (None, range(8, 12)),
        ("order", b"x"),
        (None, range(3, 3)),
    ]
    assert rows_in(items) == 1 + 4 + 1 + 0


def test_a_counted_batch_is_its_items_and_its_count() -> None:
    items: list[tuple[object, object]] = [("bar", 7), (None, range(8, 12))]
    batch = CountedBatch(items, 5)
    assert list(batch) == items and rows_in(batch) == 5 == rows_in(items)
