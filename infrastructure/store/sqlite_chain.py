"""Appending to the SQLite log together with its hash chain, in one transaction.

Used by the in-process event log and by the writer process alike. Notification
ids are rowids: with the append-only triggers no row is ever removed, so inside
the write transaction the next ids are the current maximum plus one, two, ...
If the chain is behind the log (a log written before the chain existed), it is
first extended over the missing events, in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from domain.audit.chain import GENESIS, link

Row = tuple[str, int, str, bytes]
"""originator id (32 hex digits), version, topic, stored bytes"""


def chain_head(cursor: Any) -> tuple[int, bytes]:
    """(notification id, hash) of the chain's last link; (0, genesis) when empty."""
    cursor.execute("SELECT notification_id, hash FROM stored_chain ORDER BY notification_id DESC LIMIT 1")
    row = cursor.fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


def append_with_chain(cursor: Any, rows: Sequence[Row]) -> int:
    """Insert ``rows`` and their chain links (inside the caller's transaction); return the last id."""
    cursor.execute("SELECT MAX(rowid) FROM stored_events")
    last = cursor.fetchone()[0] or 0
    chained, head = chain_head(cursor)
    if chained < last:
        head = _catch_up(cursor, chained, head)
    links = []
    for offset, (originator, version, topic, state) in enumerate(rows, 1):
        head = link(head, last + offset, bytes.fromhex(originator), version, topic, state)
        links.append((last + offset, originator, version, head))
    cursor.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", rows)
    cursor.executemany("INSERT INTO stored_chain VALUES (?,?,?,?)", links)
    return last + len(rows)


def _catch_up(cursor: Any, after: int, head: bytes) -> bytes:
    cursor.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid > ? ORDER BY rowid",
        (after,),
    )
    links = []
    for notification_id, originator, version, topic, state in cursor.fetchall():
        head = link(head, notification_id, bytes.fromhex(originator), version, topic, bytes(state))
        links.append((notification_id, originator, version, head))
    cursor.executemany("INSERT INTO stored_chain VALUES (?,?,?,?)", links)
    return head


def connect(path: str) -> sqlite3.Connection:
    """A plain connection in autocommit mode (transactions are explicit)."""
    return sqlite3.connect(path, isolation_level=None)
