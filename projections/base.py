"""What a projection is: events in, versioned rows out.

A projection reads the log in notification order and keeps rows in its tables.
Every table is temporal: each change of a row is a new *version* stored with
``valid_from`` (the notification id of the event that made it) and, once it is
superseded, ``valid_to`` (the id of the event that replaced it). So one table
answers both "now" (versions not yet superseded) and "as of notification id X"
(``valid_from <= X < valid_to``) without replaying anything at query time.

- A *state* table keeps one current row per key (a position, a breaker, an order):
  a new version of a key supersedes the previous one.
- A *history* table only appends (fills, the equity curve): nothing supersedes.

Every version also gets ``seq``, a per-table counter in the order versions were
made: it is the cursor of paginated reads. A state table's version also names the
``seq`` of the version it supersedes, so a store closes that one by primary key
(no search by key among all of the key's versions). Projections are pure and deterministic
(the same events always give the same versions, seq included), which is what lets
a projection be dropped and rebuilt, and resume after a crash by replaying in
memory up to where its view stopped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar, NamedTuple

import msgspec

from domain.events import Event


class Row(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Base of view rows: ``ts`` is the event time (ns) of the change that made this version."""

    ts: int


@dataclass(frozen=True)
class Table:
    """One read-model table: its name in SQL, its row type, its key, state or history."""

    name: str
    row: type[Row]
    key: tuple[str, ...]
    state: bool
    """True: one current row per key (new versions supersede). False: append-only history."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The row's fields in declaration order (the SQL columns after seq/valid_from/valid_to)."""
        return self.row.__struct_fields__

    def key_of(self) -> Callable[[Row], Any]:
        """A function giving a row's key tuple."""
        if not self.key:
            return lambda row: ()
        getter = attrgetter(*self.key)
        return (lambda row: (getter(row),)) if len(self.key) == 1 else getter


class Version(NamedTuple):
    """One version of a row: its order in the table, the event that made it, the row, and the
    ``seq`` of the version of the same key it supersedes (None: a new key, or a history table)."""

    seq: int
    valid_from: int
    row: Row
    supersedes: int | None = None


_version = tuple.__new__  # a Version from its four fields, without NamedTuple's Python-level __new__


class Projection(ABC):
    """Turns events into versions of rows; subclasses implement ``apply``.

    ``apply`` must be deterministic and must not read anything but the event and
    the projection's own state: it is re-run on rebuilds and restarts.
    """

    name: ClassVar[str]
    """Stable name (its tracking row in the view store)."""
    tables: ClassVar[tuple[Table, ...]]
    topics: ClassVar[tuple[str, ...]]
    """The event topics it reads (others are skipped by the reader)."""
    partial: ClassVar[Mapping[str, type[Any]]] = {}
    """Topics of which it reads only the fields of a lighter struct (``projections.partial``):
    their events may come decoded as that struct instead, and ``apply`` must take both."""

    def __init__(self) -> None:
        self._seq = {table.name: 0 for table in self.tables}
        self._pending: dict[str, list[Version]] = {table.name: [] for table in self.tables}
        self._keys = {table.name: table.key_of() for table in self.tables if table.state}
        self._current: dict[str, dict[Any, int]] = {name: {} for name in self._keys}
        """Per state table: each key's current version (its seq)."""
        self.position = 0
        """The notification id of the last event applied."""

    @abstractmethod
    def apply(self, notification_id: int, event: Event) -> None:
        """Account one event (call ``put`` for every row it changes)."""

    def handlers(self) -> dict[str, Callable[[int, Any], None]]:
        """The method that applies each topic's events: ``apply``, unless a subclass sends a topic
        straight to the method ``apply`` would call (one dispatch less for a frequent topic)."""
        return dict.fromkeys(self.topics, self.apply)

    def put(self, table: Table, notification_id: int, row: Row) -> None:
        """Record a new version of a row (state tables) or a new row (history tables)."""
        name = table.name
        seq = self._seq[name] + 1
        self._seq[name] = seq
        current = self._current.get(name)
        if current is None:
            self._pending[name].append(_version(Version, (seq, notification_id, row, None)))
            return
        key = self._keys[name](row)
        self._pending[name].append(_version(Version, (seq, notification_id, row, current.get(key))))
        current[key] = seq

    def take_changes(self) -> dict[str, list[Version]]:
        """The versions made since the last call, per table name (and forget them)."""
        changes = {name: versions for name, versions in self._pending.items() if versions}
        self._pending = {table.name: [] for table in self.tables}
        return changes

    def discard_changes(self) -> None:
        """Forget pending versions (when replaying to restore state the view already holds)."""
        for versions in self._pending.values():
            versions.clear()
