"""What the read side needs from a view store (SQL implementations in infrastructure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from projections.base import Row, Table, Version


@dataclass(frozen=True)
class StoredVersion:
    """A version as stored: ``valid_to`` is None while it is current (or for history rows)."""

    seq: int
    valid_from: int
    valid_to: int | None
    row: Row


@dataclass(frozen=True)
class RowQuery:
    """Which versions of one table to read.

    - ``as_of`` None: current rows; an id: the rows that were current just after that event.
    - ``all_versions``: every version (a state table's history), up to ``as_of`` if given.
    - ``where``: column equality filters; ``ts_from``/``ts_to``: event-time range (inclusive, ns).
    - ``after``: the cursor (a ``seq``); ``newest_first`` reverses the order (then seq < after).
    """

    table: Table
    where: Mapping[str, object] = ()  # type: ignore[assignment]
    as_of: int | None = None
    all_versions: bool = False
    ts_from: int | None = None
    ts_to: int | None = None
    after: int | None = None
    limit: int = 100
    newest_first: bool = False


class ReadModelStore(Protocol):
    """Views and their tracking positions; a commit is one transaction (exactly-once)."""

    def positions(self) -> dict[str, int]:
        """The tracking position (last notification id applied) of every projection with one."""
        ...

    def commit(self, positions: Mapping[str, int], changes: Mapping[str, Sequence[Version]]) -> None:
        """Store new versions and move the projections' positions, all in one transaction
        (a store may commit in the background: ``flush`` waits for it)."""
        ...

    def flush(self) -> None:
        """Return when every commit made so far is durable (raise if one failed)."""
        ...

    def reset(self, projection: str, tables: Sequence[Table]) -> None:
        """Delete a projection's rows and tracking (it is then rebuilt from the log)."""
        ...

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """Versions matching ``query``, in ``seq`` order."""
        ...
