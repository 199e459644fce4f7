"""The stream key of a SQLite log, and building it after a bulk load instead of row by row.

The stream key makes (originator id, version) unique and is what stream reads look up. A
ledger's table has it as its primary key (migration 0001, as the library creates the table).
A backtest's own log is a fresh file with a single writer: its table is created without the
key (``create_keyless_table``), filled, and the key is built once at the end
(``build_stream_key``): one sort of the keys rather than an index insert per event. Most of
those inserts land at random places (every order is its own stream), and each dirties a page
the commit then writes out again. Where the C loader writes the batches (``bulk_loader``) the
writer has CPU to spare, and builds the key on the empty table before the load instead: its
inserts cost the writer CPU during the load, but the sort no longer falls at the end of the
run, where the engine's process waits for it.

A duplicate (stream, version) is refused when the key is built (naming the pair), or at its
insert where the key came first (the batch is refused with SQLite's UNIQUE constraint error):
the load fails as a whole. A load that stopped before its end leaves a file without the key;
the next ordinary open checks the file and builds it (``ensure_stream_key``), so the file is an
ordinary log from then on. A run log is loaded without a WAL (``sqlite_writer``): one whose load
was cut in the middle of a commit may be damaged, and is then refused, as a failed run to do
again.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from infrastructure.errors import StoreError

KEY_INDEX = "stored_events_stream_key"
_COLUMNS = ("originator_id", "originator_version")


class UnfinishedLoadDamaged(StoreError):
    """A bulk load stopped midway and left the file damaged (it was loaded without a WAL): the
    run that was writing it failed; do it again (a backtest is reproducible from its inputs)."""


class DuplicateStreamVersion(StoreError):
    """Two events of a bulk-loaded log claim the same stream and version: the load is refused
    (the file keeps its rows but no key; rerun the load into a fresh file)."""


def create_keyless_table(connection: sqlite3.Connection) -> bool:
    """Create the events table without its stream key, in a file that has none yet; return
    whether it was created (False: the table exists, and is left as it is)."""
    if _has_table(connection.cursor()):
        return False
    # The library's columns, in its order (migration 0001), without PRIMARY KEY.
    connection.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB)"
    )
    return True


def has_stream_key(cursor: Any) -> bool:
    """Whether the events table has a unique index on exactly (originator id, version)."""
    for row in cursor.execute("PRAGMA index_list(stored_events)").fetchall():
        name, unique = row[1], row[2]
        if unique:
            columns = tuple(r[2] for r in cursor.execute(f"PRAGMA index_info('{name}')").fetchall())
            if columns == _COLUMNS:
                return True
    return False


def build_stream_key(cursor: Any) -> bool:
    """Build the stream key if the table lacks it (inside the caller's write transaction); return
    whether it was built. Raises DuplicateStreamVersion naming a pair claimed twice."""
    if has_stream_key(cursor):
        return False
    try:
        cursor.execute(
            f"CREATE UNIQUE INDEX {KEY_INDEX} ON stored_events (originator_id, originator_version)"
        )
    except sqlite3.IntegrityError:
        cursor.execute(
            "SELECT originator_id, originator_version, COUNT(*) FROM stored_events "
            "GROUP BY originator_id, originator_version HAVING COUNT(*) > 1 LIMIT 1"
        )
        stream, version, count = cursor.fetchone()
        raise DuplicateStreamVersion(
            f"{count} events claim stream {stream} version {version}: the log is refused"
        ) from None
    return True


def ensure_stream_key(connection: sqlite3.Connection) -> bool:
    """Build the stream key of a file whose bulk load stopped before its end (in a transaction of
    its own); return whether it was built. For every other file a look at its indexes, no lock."""
    cursor = connection.cursor()
    if not _has_table(cursor) or has_stream_key(cursor):
        return False
    problems = [row[0] for row in cursor.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        raise UnfinishedLoadDamaged(
            f"{connection.execute('PRAGMA database_list').fetchone()[2]}: its load stopped midway and "
            f"left it damaged ({'; '.join(problems)}); rerun the backtest that was writing it"
        )
    connection.execute("BEGIN IMMEDIATE")
    try:
        built = build_stream_key(cursor)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return built


def _has_table(cursor: Any) -> bool:
    return bool(
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'"
        ).fetchone()
    )
