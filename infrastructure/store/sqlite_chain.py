"""The SQLite log's hash chain, extended over new events exactly once.

The chain is a projection of the log whose position is its own last link: one
transaction reads the events after the last link, links them in notification
order and stores the links, so a crash leaves either all of them or none. It runs
after every command that appends (ingestion, backtests) and on
``memesnipe audit chain``, off the append path (see the README's audit section for
why, and for what that leaves uncovered).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from domain.audit.chain import GENESIS, links

PAGE = 50_000
ROWS_PER_INSERT = 100
"""Rows per multi-row INSERT in ``insert_chained``: one statement step per 100 rows rather than
per row (executemany steps, and releases the GIL, once per row)."""


def chain_head(cursor: Any) -> tuple[int, bytes]:
    """(notification id, hash) of the chain's last link; (0, genesis) when empty."""
    cursor.execute("SELECT notification_id, hash FROM stored_chain ORDER BY notification_id DESC LIMIT 1")
    row = cursor.fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


def extend_chain(cursor: Any) -> int:
    """Link every event after the chain's head (inside the caller's write transaction); return how many."""
    after, head = chain_head(cursor)
    added = 0
    while True:
        cursor.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, PAGE),
        )
        rows = cursor.fetchall()
        if not rows:
            return added
        linked = links(head, rows)
        cursor.executemany("INSERT INTO stored_chain VALUES (?,?,?,?)", linked)
        head = linked[-1][3]
        added += len(linked)
        after = rows[-1][0]


def insert_chained(cursor: Any, rows: Sequence[Sequence[Any]]) -> int:
    """Insert (originator hex, version, topic, state) rows and link them, in the caller's write
    transaction; return the last rowid.

    The links are those ``extend_chain`` would add next, computed from the rows in hand
    rather than read back: SQLite gives each new row the largest rowid plus one, which the
    rowids before and after the insert confirm (else the rows are read back after all).
    Events appended without a link (a checkpoint) are linked first.
    """
    after, head = chain_head(cursor)
    cursor.execute("SELECT MAX(rowid) FROM stored_events")
    before = cursor.fetchone()[0] or 0
    if after != before:
        extend_chain(cursor)
        after, head = chain_head(cursor)
    _insert(cursor, "stored_events", rows)
    cursor.execute("SELECT MAX(rowid) FROM stored_events")
    last: int = cursor.fetchone()[0] or 0
    if last - before != len(rows):
        extend_chain(cursor)
        return last
    linked = links(head, [(before + 1 + i, *row) for i, row in enumerate(rows)])
    # hashes as bytearray: bound as BLOBs without sqlite3's adapter lookup (see sqlite_writer)
    _insert(cursor, "stored_chain", [(*r[:3], bytearray(r[3])) for r in linked])
    return last


def _insert(cursor: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
    # Four-column rows, in order (SQLite inserts a multi-row VALUES list row by row, in order).
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start : start + ROWS_PER_INSERT]
        values = ",".join(["(?,?,?,?)"] * len(part))
        cursor.execute(f"INSERT INTO {table} VALUES {values}", list(chain.from_iterable(part)))
