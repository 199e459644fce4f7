"""A state table's version names the version of its key that it supersedes; history rows name none."""

from __future__ import annotations

from typing import ClassVar

from domain.events import Event
from projections.base import Projection, Row, Table


class ItemRow(Row, frozen=True, kw_only=True):
    name: str
    count: int


ITEMS = Table("items", ItemRow, ("name",), state=True)
LOG = Table("log", ItemRow, (), state=False)


class Items(Projection):
    name = "items"
    tables: ClassVar[tuple[Table, ...]] = (ITEMS, LOG)
    topics: ClassVar[tuple[str, ...]] = ()

    def apply(self, notification_id: int, event: Event) -> None:
        raise NotImplementedError


def test_a_new_version_supersedes_the_last_version_of_the_same_key() -> None:
    items = Items()
    for notification_id, name in enumerate(("a", "b", "a", "a", "b"), start=1):
        items.put(ITEMS, notification_id, ItemRow(ts=0, name=name, count=notification_id))
        items.put(LOG, notification_id, ItemRow(ts=0, name=name, count=notification_id))
    changes = items.take_changes()
    assert [(v.seq, v.supersedes) for v in changes["items"]] == [(1, None), (2, None), (3, 1), (4, 3), (5, 2)]
    assert [v.supersedes for v in changes["log"]] == [None] * 5


def test_the_link_crosses_batches() -> None:
    items = Items()
    items.put(ITEMS, 1, ItemRow(ts=0, name="a", count=1))
    items.take_changes()
    items.put(ITEMS, 2, ItemRow(ts=0, name="a", count=2))
    [version] = items.take_changes()["items"]
    assert (version.seq, version.supersedes) == (2, 1)
