"""The hash chain on SQLite and PostgreSQL: untouched logs verify, every tampering is named.

Tampering bypasses the append-only guard as a superuser would (dropping or
disabling the triggers), then the chain must still catch it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from application.audit.verify_chain import verify_chain
from application.ports import AuditTrail
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


def chained_store(kind: str, request: pytest.FixtureRequest, tmp_path: object) -> Settings:
    settings = settings_for(kind, tmp_path, request)  # type: ignore[arg-type]
    migrate(settings)
    with open_ledger(settings) as store:
        store.log.append(bars(10))
        assert extend_chain(store.log) == 10
        store.log.append(bars(10, start_version=11))
        assert extend_chain(store.log) == 10
        assert extend_chain(store.log) == 0  # exactly once
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


def test_events_after_the_head_are_unchained_until_the_next_pass(
    request: pytest.FixtureRequest, tmp_path: object
) -> None:
    settings = chained_store("sqlite", request, tmp_path)
    with open_ledger(settings) as store:
        store.log.append(bars(3, start_version=21))
        report = verify_chain(store.log)  # type: ignore[arg-type]
        assert report.intact and report.unchained == 3
        extend_chain(store.log)
        report = verify_chain(store.log)  # type: ignore[arg-type]
        assert report.intact and report.unchained == 0 and report.head_id == 23
