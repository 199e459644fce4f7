"""A run log's rows copied from the source log by notification id, instead of sent.

A backtest over an existing SQLite log records every bar it reads into its own log, byte for
byte. Sending each bar's bytes and identity to the run log's writer would cost the engine's
process the building and encoding of the batch's columns, and the writer their decoding. With a
source, the engine's batches name a copied bar by its notification id in the source
(``BarsFromLog(by_reference=True)``); the writer reads those rows from the source file itself
(read-only) and inserts them where the batch puts them. The writer also digests the copied rows'
bytes in order, which must equal the digest the engine took of the bars it read
(``copied_digest``): a source changed under the run is caught, not recorded.

A batch crosses as its inline rows (columns) and its copies: (position, first source id, count)
runs of consecutive source ids, each placed before the inline row at ``position``.
The engine's batch names a copied bar by its id, or a run of them by a ``range`` of ids.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from infrastructure.errors import StoreError

Copy = tuple[int, int, int]
"""(position among the inline rows, first source notification id, how many consecutive ids)."""
Row = tuple[str, int, str, bytes | bytearray]
"""(originator id's hex, version, topic, state): a row of the events table."""


_BYTEARRAY = "memesnipe_bytearray"
"""Copied states are read as bytearray (a converter, cheap at the fetch): sqlite3 binds a
bytearray without looking for an adapter; for bytes it looks for one, in vain, at every insert."""
sqlite3.register_converter(_BYTEARRAY, bytearray)


class SourceMissing(StoreError):
    """A copied row is not in the source log (it was changed under the run): the batch is refused."""


def split_batch(
    items: Sequence[tuple[Any, bytes | int | range]],
) -> tuple[list[UUID], list[int], list[str], list[bytes], list[Copy]]:
    """A batch's inline rows as columns (originator, version, topic, state) and its copies: items
    whose second part is a source id, or a range of consecutive source ids, merged into runs of
    consecutive ids at each place among the inline rows."""
    originators: list[UUID] = []
    versions: list[int] = []
    topics: list[str] = []
    states: list[bytes] = []
    copies: list[Copy] = []
    for event, data in items:
        kind = type(data)
        if kind is range:
            first, count = data.start, len(data)  # type: ignore[union-attr,arg-type]
        elif kind is int:
            first, count = data, 1
        else:
            originators.append(event.originator_id)
            versions.append(event.originator_version)
            topics.append(event.TOPIC)
            states.append(data)  # type: ignore[arg-type]
            continue
        if count <= 0:
            continue
        position = len(states)
        if copies and copies[-1][0] == position and sum(copies[-1][1:]) == first:
            copies[-1] = (position, copies[-1][1], copies[-1][2] + count)
        else:
            copies.append((position, first, count))
    return originators, versions, topics, states, copies


class SourceRows:
    """The writer's read-only view of the source log, and the digest of what it copied."""

    def __init__(self, path: str) -> None:
        self._database = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, detect_types=sqlite3.PARSE_COLNAMES
        )
        self._digest = hashlib.sha256()
        self.copied = 0

    @property
    def digest(self) -> str:
        """SHA-256 over the copied rows' stored bytes, in the order copied."""
        return self._digest.hexdigest()

    def merge(self, inline: list[Row], copies: Sequence[Copy]) -> list[Row]:
        """The batch's rows in order: ``inline`` with each copy's source rows put in its place."""
        if not copies:
            return inline
        low = min(first for _, first, _ in copies)
        high = max(first + count - 1 for _, first, count in copies)
        fetched = self._fetch(low, high)
        rows: list[Row] = []
        taken = 0
        copied: list[bytes | bytearray] = []
        for position, first, count in copies:
            rows += inline[taken:position]
            taken = position
            if isinstance(fetched, list):
                part = fetched[first - low : first - low + count]
            else:
                part = [self._row(fetched, source_id) for source_id in range(first, first + count)]
            rows += part
            copied += [row[3] for row in part]
        rows += inline[taken:]
        self._digest.update(b"".join(copied))
        self.copied += len(copied)
        return rows

    def close(self) -> None:
        """Close the source."""
        self._database.close()

    def _fetch(self, low: int, high: int) -> list[Row] | dict[int, Row]:
        # Rows low..high by position (row id - low): SQLite's ids in an append-only table have no
        # gaps, which the count checks; otherwise by id.
        database = self._database
        (count,) = database.execute(
            "SELECT COUNT(*) FROM stored_events WHERE rowid BETWEEN ? AND ?", (low, high)
        ).fetchone()
        if count == high - low + 1:
            return database.execute(
                f'SELECT originator_id, originator_version, topic, state AS "state [{_BYTEARRAY}]" '
                "FROM stored_events WHERE rowid BETWEEN ? AND ? ORDER BY rowid",
                (low, high),
            ).fetchall()
        return {
            row[0]: row[1:]
            for row in database.execute(
                f'SELECT rowid, originator_id, originator_version, topic, state AS "state [{_BYTEARRAY}]" '
                "FROM stored_events WHERE rowid BETWEEN ? AND ?",
                (low, high),
            )
        }

    @staticmethod
    def _row(by_id: dict[int, Row], source_id: int) -> Row:
        row = by_id.get(source_id)
        if row is None:
            raise SourceMissing(f"the source log has no event {source_id} to copy: it changed under the run")
        return row
