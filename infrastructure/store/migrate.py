"""Applying the SQL files in ``migrations/`` and reading which are applied.

Each file runs in its own transaction together with its row in
``memesnipe_schema_version``; applied files are skipped and must not change.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from infrastructure.errors import MigrationError
from infrastructure.store.stream_key import create_keyless_table, ensure_stream_key

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
VERSION_TABLE = "memesnipe_schema_version"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One SQL file: its version number, name, text and checksum."""

    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def load_migrations(dialect: str, directory: Path | None = None) -> list[Migration]:
    """The migrations of one dialect (``postgres`` or ``sqlite``) in version order."""
    folder = (directory or MIGRATIONS_DIR) / dialect
    if not folder.is_dir():
        raise MigrationError(f"no migrations folder at {folder}")
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def latest_version(dialect: str) -> int:
    """The highest migration version this code ships."""
    return max((m.version for m in load_migrations(dialect)), default=0)


def _check_unchanged(migration: Migration, recorded_checksum: str) -> None:
    if recorded_checksum != migration.checksum:
        raise MigrationError(
            f"migration {migration.version:04d}_{migration.name} changed after it was applied; "
            "add a new migration instead of editing an applied one"
        )


# PostgreSQL -----------------------------------------------------------------


def migrate_postgres(conninfo: str, schema: str) -> list[str]:
    """Apply pending migrations to ``schema``; return the names applied now."""
    applied_now: list[str] = []
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for migration in load_migrations("postgres"):
                with conn.transaction():
                    _enter_schema(conn, schema)
                    recorded = conn.execute(
                        sql.SQL("SELECT checksum FROM {} WHERE version = %s").format(
                            sql.Identifier(VERSION_TABLE)
                        ),
                        (migration.version,),
                    ).fetchone()
                    if recorded:
                        _check_unchanged(migration, recorded[0])
                        continue
                    conn.execute(migration.text.encode())
                    conn.execute(
                        sql.SQL("INSERT INTO {} (version, name, checksum) VALUES (%s, %s, %s)").format(
                            sql.Identifier(VERSION_TABLE)
                        ),
                        (migration.version, migration.name, migration.checksum),
                    )
                    applied_now.append(f"{migration.version:04d}_{migration.name}")
    except psycopg.Error as e:
        raise MigrationError(f"migration of schema {schema!r} failed: {e}") from e
    return applied_now


def _enter_schema(conn: psycopg.Connection[object], schema: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"memesnipe.migrate.{schema}",))
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, name text NOT NULL, "
            "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(sql.Identifier(VERSION_TABLE))
    )


def postgres_version(conninfo: str, schema: str) -> int:
    """The highest applied migration in ``schema``, 0 if none."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass(%s)", (f"{_quote(schema)}.{VERSION_TABLE}",)).fetchone()
            if not exists or exists[0] is None:
                return 0
            row = conn.execute(
                sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {}").format(
                    sql.Identifier(schema, VERSION_TABLE)
                )
            ).fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error as e:
        raise MigrationError(f"cannot read the schema version of {schema!r}: {e}") from e


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# SQLite ---------------------------------------------------------------------


BULK_PAGE_SIZE = 16_384
"""The page size of a new file made for a bulk load (a backtest's run log; SQLite's default is
4096): fewer, fuller pages for the writer to link and write. Not larger: at 64 KiB every run
log's 70-odd tables and indexes would take 4 MB before its first row."""


def migrate_sqlite(path: str, *, bulk_load: bool = False) -> list[str]:
    """Apply pending migrations to the SQLite file at ``path``; return the names applied now.

    ``bulk_load``: a fresh file's events table is created without its stream key, which the
    load builds (``stream_key``), in pages of ``BULK_PAGE_SIZE``; otherwise a file left without
    it (a load that stopped) gets it now."""
    applied_now: list[str] = []
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if bulk_load:
            if not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():  # a new file
                conn.execute(f"PRAGMA page_size={BULK_PAGE_SIZE}")
            create_keyless_table(conn)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, checksum TEXT NOT NULL, "
            "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        for migration in load_migrations("sqlite"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    f"SELECT checksum FROM {VERSION_TABLE} WHERE version = ?", (migration.version,)
                ).fetchone()
                if row:
                    _check_unchanged(migration, row[0])
                    conn.execute("COMMIT")
                    continue
                for statement in _split_sqlite(migration.text):
                    conn.execute(statement)
                conn.execute(
                    f"INSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES (?, ?, ?)",
                    (migration.version, migration.name, migration.checksum),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            applied_now.append(f"{migration.version:04d}_{migration.name}")
        if not bulk_load:
            ensure_stream_key(conn)
    except sqlite3.Error as e:
        raise MigrationError(f"migration of {path} failed: {e}") from e
    finally:
        conn.close()
    return applied_now


def _split_sqlite(text: str) -> list[str]:
    # Split on complete statements (sqlite3.complete_statement knows about trigger bodies).
    statements, current = [], ""
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not current.strip():
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {current[:80]!r}")
    return statements


def sqlite_version(path: str) -> int:
    """The highest applied migration in the SQLite file, 0 if none (or no file)."""
    if not Path(path).exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchone()
        if not row:
            return 0
        version = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()
        return int(version[0])
    finally:
        conn.close()


def create_login_roles(conninfo: str, app_user: str, auditor_user: str, passwords: dict[str, str]) -> None:
    """Login users that are members of ``memesnipe_app`` and ``memesnipe_auditor`` (idempotent).

    The group roles and their grants come from the migrations; passwords (optional) are set
    when given and never echoed.
    """
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for user, group in ((app_user, "memesnipe_app"), (auditor_user, "memesnipe_auditor")):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
                if not exists:  # another run may create it meanwhile: that is fine
                    with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(user)))
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(user)))
                if passwords.get(user):
                    conn.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                            sql.Identifier(user), sql.Literal(passwords[user])
                        )
                    )
    except psycopg.Error as e:
        raise MigrationError(f"creating the login roles failed: {type(e).__name__}") from None
