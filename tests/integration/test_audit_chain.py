"""The hash chain on SQLite and PostgreSQL: untouched logs verify, every tampering is named.

Tampering bypasses the append-only guard as a superuser would (dropping or
disabling the triggers), then the chain must still catch it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from application.audit.verify_chain import verify_chain
from application.ports import AuditTrail
from domain.audit.chain import GENESIS, link
from infrastructure.bootstrap import extend_chain, migrate, open_ledger
from infrastructure.config import Settings
from tests.conftest import settings_for
from tests.factories import bars

TAMPERING = {
    "sqlite": {
        "modified": ["UPDATE stored_events SET state = x'80' WHERE rowid = 7"],
        "deleted": ["DELETE FROM stored_events WHERE rowid = 7"],
        "inserted": [
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (0, '000000000000000000000000000000ff', 1, 'market.Bar', x'80')"
        ],
        "reordered": [
            "UPDATE stored_events SET rowid = 1000 WHERE rowid = 7",
            "UPDATE stored_events SET rowid = 7 WHERE rowid = 8",
            "UPDATE stored_events SET rowid = 8 WHERE rowid = 1000",
        ],
    },
    "postgres": {
        "modified": ["UPDATE ledger_events SET state = '\\x80' WHERE notification_id = 7"],
        "deleted": ["DELETE FROM ledger_events WHERE notification_id = 7"],
        "inserted": [
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state, notification_id) "
            "VALUES ('00000000-0000-0000-0000-0000000000ff', 1, 'market.Bar', '\\x80', 0)"
        ],
        "reordered": [
            "UPDATE ledger_events SET notification_id = 1000 WHERE notification_id = 7",
            "UPDATE ledger_events SET notification_id = 7 WHERE notification_id = 8",
            "UPDATE ledger_events SET notification_id = 8 WHERE notification_id = 1000",
        ],
    },
}
EXPECTED = {
    "modified": [("modified", 7)],
    "deleted": [("deleted", 7)],
    "inserted": [("inserted", 0)],
    "reordered": [("reordered", 7), ("reordered", 8)],
}


def tamper_sqlite(settings: Settings, statements: list[str]) -> None:
    conn = sqlite3.connect(settings.sqlite_path)
    conn.execute("DROP TRIGGER stored_events_refuse_update")
    conn.execute("DROP TRIGGER stored_events_refuse_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def tamper_postgres(settings: Settings, statements: list[str]) -> None:
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres.schema)))
        conn.execute("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement.encode())


def head_id(log: object) -> int:
    head: tuple[int, bytes] = log.chain_head()  # type: ignore[attr-defined]
    return head[0]


def chained_store(kind: str, request: pytest.FixtureRequest, tmp_path: object) -> Settings:
    settings = settings_for(kind, tmp_path, request)  # type: ignore[arg-type]
    migrate(settings)
    with open_ledger(settings) as store:
        store.log.append(bars(10))
        assert head_id(store.log) == 10  # linked by the append itself
        store.log.append(bars(10, start_version=11))
        assert head_id(store.log) == 20
        assert extend_chain(store.log) == 0  # nothing left to link
    return settings


def verify(settings: Settings) -> list[tuple[str, int]]:
    with open_ledger(settings) as store:
        trail: AuditTrail = store.log  # type: ignore[assignment]
        return [(f.kind, f.notification_id) for f in verify_chain(trail).findings]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_untouched_log_verifies_intact(
    kind: str, request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = chained_store(kind, request, tmp_path)
    with open_ledger(settings) as store:
        report = verify_chain(store.log)  # type: ignore[arg-type]
    assert report.intact and report.events == report.links == 20 and report.head_id == 20


@pytest.mark.parametrize("how", ["modified", "deleted", "inserted", "reordered"])
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_every_kind_of_tampering_is_found_with_its_notification_id(
    kind: str, how: str, request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = chained_store(kind, request, tmp_path)
    statements = TAMPERING[kind][how]
    tamper: Callable[[Settings, list[str]], None] = tamper_sqlite if kind == "sqlite" else tamper_postgres
    tamper(settings, statements)
    assert verify(settings) == EXPECTED[how]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_events_appended_unlinked_are_counted_then_linked_first_by_the_next_append(
    kind: str, request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = chained_store(kind, request, tmp_path)
    with open_ledger(settings, chained=False) as store:
        store.log.append(bars(3, start_version=21))
        report = verify_chain(store.log)  # type: ignore[arg-type]
        assert report.intact and report.unchained == 3 and report.head_id == 20
    with open_ledger(settings) as store:
        store.log.append(bars(2, start_version=24))
        report = verify_chain(store.log)  # type: ignore[arg-type]
        assert report.intact and report.unchained == 0 and report.head_id == 25 and report.links == 25


@pytest.mark.postgres
def test_an_append_after_a_gap_in_notification_ids_links_the_ids_it_got(
    request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = chained_store("postgres", request, tmp_path)
    with psycopg.connect(settings.postgres.conninfo()) as conn:  # as rolled-back inserts would
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres.schema)))
        conn.execute("SELECT setval(pg_get_serial_sequence('ledger_events', 'notification_id'), 30)")
    with open_ledger(settings) as store:
        assert store.log.append(bars(3, start_version=21)) == 33
        report = verify_chain(store.log)  # type: ignore[arg-type]
    assert report.intact and report.unchained == 0 and report.links == 23 and report.head_id == 33


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_links_stored_one_row_per_event_before_blocks_still_verify(
    kind: str, request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = settings_for(kind, tmp_path, request)  # type: ignore[arg-type]
    migrate(settings)
    with open_ledger(settings, chained=False) as store:
        store.log.append(bars(5))
        trail: AuditTrail = store.log  # type: ignore[assignment]
        events = [e for page in trail.audited_events() for e in page]
    head, older = GENESIS, []
    for e in events:  # the chain as migration 0003's writers stored it
        head = link(head, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state)
        older.append((e.notification_id, UUID(bytes=e.originator_id), e.originator_version, head))
    if kind == "sqlite":
        conn = sqlite3.connect(settings.sqlite_path)
        conn.executemany(
            "INSERT INTO stored_chain VALUES (?,?,?,?)", [(i, o.hex, v, h) for i, o, v, h in older]
        )
        conn.commit()
        conn.close()
    else:
        with psycopg.connect(settings.postgres.conninfo()) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres.schema)))
            conn.cursor().executemany("INSERT INTO ledger_chain VALUES (%s,%s,%s,%s)", older)
    with open_ledger(settings) as store:
        assert head_id(store.log) == 5
        store.log.append(bars(4, start_version=6))
        report = verify_chain(store.log)  # type: ignore[arg-type]
    assert report.intact and report.links == report.events == 9 and report.head_id == 9
