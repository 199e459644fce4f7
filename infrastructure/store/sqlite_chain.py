"""The SQLite log's hash chain, extended over new events exactly once.

The chain is a projection of the log whose position is its own last link: one
transaction reads the events after the last link, links them in notification
order and stores the links, so a crash leaves either all of them or none. It runs
after every command that appends (ingestion, backtests) and on
``memesnipe audit chain``, off the append path (see the README's audit section for
why, and for what that leaves uncovered).
"""

from __future__ import annotations

from typing import Any

from domain.audit.chain import GENESIS, link

PAGE = 50_000


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
        links = []
        for notification_id, originator, version, topic, state in rows:
            head = link(head, notification_id, bytes.fromhex(originator), version, topic, bytes(state))
            links.append((notification_id, originator, version, head))
        cursor.executemany("INSERT INTO stored_chain VALUES (?,?,?,?)", links)
        added += len(links)
        after = rows[-1][0]
