"""Migrations: idempotent, recorded, guarded against edits; the event table is append-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from eventsourcing.postgres import PostgresFactory
from psycopg import sql

from infrastructure.bootstrap import migrate, open_ledger
from infrastructure.config import Settings
from infrastructure.errors import MigrationError
from infrastructure.store import migrate as migrate_module
from infrastructure.store.migrate import latest_version, sqlite_version
from projections import TABLES
from tests.conftest import settings_for
from tests.factories import bars


@pytest.fixture
def pg(pg_settings: Settings) -> Settings:
    migrate(pg_settings)
    with open_ledger(pg_settings) as store:
        store.log.append(bars(3))
    return pg_settings


def pg_connect(settings: Settings) -> psycopg.Connection[tuple[object, ...]]:
    conn = psycopg.connect(settings.postgres.conninfo(), autocommit=True)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres.schema)))
    return conn


def test_migrate_twice_applies_once_and_records_versions(pg_settings: Settings) -> None:
    assert migrate(pg_settings) == [
        "0001_event_store",
        "0002_append_only",
        "0003_audit_chain",
        "0004_read_models",
        "0005_sessions",
        "0006_key_indexes",
        "0007_chain_blocks",
    ]
    assert migrate(pg_settings) == []
    with pg_connect(pg_settings) as conn:
        rows = conn.execute("SELECT version, name FROM memesnipe_schema_version ORDER BY 1").fetchall()
    assert rows == [
        (1, "event_store"),
        (2, "append_only"),
        (3, "audit_chain"),
        (4, "read_models"),
        (5, "sessions"),
        (6, "key_indexes"),
        (7, "chain_blocks"),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_events SET topic = 'x'",
        "DELETE FROM ledger_events",
        "TRUNCATE ledger_events",
        "UPDATE ledger_chain_blocks SET links = links || links",
        "DELETE FROM ledger_chain_blocks",
        "TRUNCATE ledger_chain_blocks",
    ],
)
def test_even_a_superuser_cannot_change_events_or_their_chain(pg: Settings, statement: str) -> None:
    with (
        pg_connect(pg) as conn,
        pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"),
    ):
        conn.execute(statement)
    with pg_connect(pg) as conn:
        assert conn.execute("SELECT count(*) FROM ledger_events").fetchone() == (3,)
        assert conn.execute("SELECT sum(length(links)) / 64 FROM ledger_chain_blocks").fetchone() == (3,)


@pytest.mark.parametrize("statement", ["UPDATE ledger_events SET topic = 'x'", "DELETE FROM ledger_events"])
def test_the_application_role_has_no_update_or_delete_grant(pg: Settings, statement: str) -> None:
    with pg_connect(pg) as conn:
        conn.execute("SET ROLE memesnipe_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_the_application_role_can_append_the_way_the_ledger_does(pg: Settings) -> None:
    with pg_connect(pg) as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE memesnipe_app")
        conn.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
        conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'market.Bar', '\\x80')"
        )
        assert conn.execute("SELECT count(*) FROM ledger_events").fetchone() == (4,)


def test_the_auditor_role_can_only_read(pg: Settings) -> None:
    with pg_connect(pg) as conn:
        conn.execute("SET ROLE memesnipe_auditor")
        assert conn.execute("SELECT count(*) FROM ledger_events").fetchone() == (3,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version) VALUES (gen_random_uuid(), 1)"
            )


def test_migrated_tables_match_what_the_library_would_create(pg: Settings) -> None:
    def describe(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> list[object]:
        columns = conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = 'ledger_events' "
            "ORDER BY ordinal_position",
            (schema,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT replace(indexdef, %s, 'S') FROM pg_indexes WHERE schemaname = %s "
            "AND tablename = 'ledger_events' ORDER BY indexname",
            (schema + ".", schema),
        ).fetchall()
        return [columns, indexes]

    library_schema = pg.postgres.schema + "_lib"
    pgs = pg.postgres
    factory = PostgresFactory(
        {
            "POSTGRES_HOST": pgs.host,
            "POSTGRES_PORT": str(pgs.port),
            "POSTGRES_USER": pgs.user,
            "POSTGRES_PASSWORD": pgs.password.reveal(),
            "POSTGRES_DBNAME": pgs.dbname,
            "POSTGRES_SCHEMA": library_schema,
        }
    )
    with pg_connect(pg) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(library_schema)))
    factory.env.name = "Ledger"
    factory.application_recorder()
    factory.close()
    with pg_connect(pg) as conn:
        ours = describe(conn, pg.postgres.schema)
        assert ours[0] and ours[1], "the migrated table and its indexes exist"
        assert describe(conn, library_schema) == ours


def test_sqlite_events_are_append_only(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        store.log.append(bars(2))
    assert sqlite_version(str(settings.sqlite_path)) == latest_version("sqlite")
    conn = sqlite3.connect(settings.sqlite_path)
    for statement in [
        "UPDATE stored_events SET topic = 'x'",
        "DELETE FROM stored_events",
        "UPDATE stored_chain_blocks SET links = links || links",
        "DELETE FROM stored_chain_blocks",
    ]:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM stored_events").fetchone() == (2,)
    assert conn.execute("SELECT sum(length(links)) / 64 FROM stored_chain_blocks").fetchone() == (2,)


def test_an_applied_migration_that_changed_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    copy = tmp_path / "migrations"
    (copy / "sqlite").mkdir(parents=True)
    for path in (migrate_module.MIGRATIONS_DIR / "sqlite").glob("*.sql"):
        (copy / "sqlite" / path.name).write_text(path.read_text() + "\n-- edited\n")
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", copy)
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(settings)


def test_opening_an_unmigrated_postgres_store_says_what_to_run(pg_settings: Settings) -> None:
    from application.errors import StoreNotReady

    with pytest.raises(StoreNotReady, match="memesnipe db migrate"), open_ledger(pg_settings):
        pass


def test_db_roles_creates_login_users_that_can_do_only_their_part(pg: Settings) -> None:
    from infrastructure.store.migrate import create_login_roles

    create_login_roles(pg.postgres.conninfo(), "memesnipe_test_writer", "memesnipe_test_reader", {})
    create_login_roles(pg.postgres.conninfo(), "memesnipe_test_writer", "memesnipe_test_reader", {})  # again
    as_user = pg.postgres.conninfo()

    def connect(user: str) -> psycopg.Connection[tuple[object, ...]]:
        conn = psycopg.connect(as_user + f" user={user}", autocommit=True)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg.postgres.schema)))
        return conn

    with connect("memesnipe_test_writer") as writer:
        assert writer.execute("SELECT count(*) FROM ledger_events").fetchone() == (3,)
        for forbidden in (
            "UPDATE ledger_events SET topic = 'x'",
            "DELETE FROM ledger_events",
            "ALTER TABLE ledger_events DISABLE TRIGGER USER",
            "DROP TABLE ledger_chain",
            "DROP TABLE ledger_chain_blocks",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                writer.execute(forbidden)
    with connect("memesnipe_test_reader") as reader:
        assert reader.execute("SELECT count(*) FROM ledger_chain").fetchone() is not None
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("INSERT INTO ledger_chain VALUES (999, gen_random_uuid(), 1, '\\x00')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("INSERT INTO ledger_chain_blocks VALUES (999, 999, '\\x00')")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_read_model_tables_have_exactly_the_projections_columns(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    for name, table in TABLES.items():
        if kind == "sqlite":
            conn = sqlite3.connect(settings.sqlite_path)
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
            conn.close()
        else:
            with pg_connect(settings) as pg:
                columns = [
                    row[0]
                    for row in pg.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                        (settings.postgres.schema, name),
                    ).fetchall()
                ]
        assert columns == ["seq", "valid_from", "valid_to", *table.columns], name
