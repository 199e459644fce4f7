"""The SQLite log's hash chain: linked in the append's own transaction, one block per batch.

``insert_chained`` inserts a batch and its block of links together, so a crash
leaves both or neither and the chain never trails the log. ``extend_chain`` links
whatever an append left unlinked (events written before this design, or by a
writer that does not chain), in the caller's write transaction; with every append
chained it finds nothing. Blocks are described in ``chain_blocks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from domain.audit.chain import GENESIS
from infrastructure.store.chain_blocks import last_hash
from infrastructure.store.chain_linker import link_block

PAGE = 50_000
ROWS_PER_INSERT = 100
"""Rows per multi-row INSERT: one statement step per 100 rows rather than per row
(executemany steps, and releases the GIL, once per row)."""


def chain_head(cursor: Any) -> tuple[int, bytes]:
    """(notification id, hash) of the chain's last link; (0, genesis) when empty."""
    cursor.execute("SELECT last_id, links FROM stored_chain_blocks ORDER BY last_id DESC LIMIT 1")
    block = cursor.fetchone()
    cursor.execute("SELECT notification_id, hash FROM stored_chain ORDER BY notification_id DESC LIMIT 1")
    row = cursor.fetchone()  # a link written before blocks (migration 0007)
    if block and (not row or block[0] > row[0]):
        return int(block[0]), last_hash(block[1])
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
        ids, originators, versions, topics, states = zip(*rows, strict=True)
        head = _store_block(cursor, head, ids, originators, versions, topics, states)
        added += len(rows)
        after = rows[-1][0]


def insert_chained(cursor: Any, rows: Sequence[Sequence[Any]]) -> int:
    """Insert (originator hex, version, topic, state) rows and their block of links, in the caller's
    write transaction; return the last rowid.

    The links are computed from the rows in hand rather than read back: SQLite gives each new row
    the largest rowid plus one, which the rowids before and after the insert confirm (else the
    rows are read back after all). Events a previous writer left unlinked are linked first.
    """
    after, head = chain_head(cursor)
    cursor.execute("SELECT MAX(rowid) FROM stored_events")
    before = cursor.fetchone()[0] or 0
    if after != before:
        extend_chain(cursor)
        after, head = chain_head(cursor)
    insert_events(cursor, rows)
    cursor.execute("SELECT MAX(rowid) FROM stored_events")
    last: int = cursor.fetchone()[0] or 0
    if last - before != len(rows):
        extend_chain(cursor)
        return last
    originators, versions, topics, states = zip(*rows, strict=True)
    _store_block(cursor, head, range(before + 1, last + 1), originators, versions, topics, states)
    return last


def _store_block(
    cursor: Any,
    head: bytes,
    ids: Sequence[int],
    originators: Sequence[bytes | str],
    versions: Sequence[int],
    topics: Sequence[str],
    states: Sequence[bytes],
) -> bytes:
    # Link the events after ``head`` and store their block; the new head. The body as bytearray:
    # bound as a BLOB without sqlite3's adapter lookup.
    body, new_head = link_block(head, ids, originators, versions, topics, states)
    cursor.execute("INSERT INTO stored_chain_blocks VALUES (?,?,?)", (ids[-1], ids[0], bytearray(body)))
    return new_head


def insert_events(cursor: Any, rows: Sequence[Sequence[Any]]) -> None:
    """Insert (originator hex, version, topic, state) rows, 100 to a statement, in order."""
    # Four-column rows, in order (SQLite inserts a multi-row VALUES list row by row, in order).
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start : start + ROWS_PER_INSERT]
        values = ",".join(["(?,?,?,?)"] * len(part))
        cursor.execute(f"INSERT INTO stored_events VALUES {values}", list(chain.from_iterable(part)))
