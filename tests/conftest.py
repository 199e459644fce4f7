"""Shared fixtures: one store scenario runs on memory, SQLite and PostgreSQL alike.

PostgreSQL is a real server (see ``tests/pg_server.py``). Under ``CI=true``
a missing server fails the run; elsewhere PostgreSQL tests are skipped with
the reason. Each run (and each xdist worker) gets a database of its own, and
each test a schema of its own inside it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infrastructure.bootstrap import LedgerStore, migrate, open_ledger
from infrastructure.config import Settings, load_settings
from tests.pg_server import PostgresServer, find_server

IN_CI = os.environ.get("CI", "").lower() == "true"
STORES = ["memory", "sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = find_server()
    except RuntimeError as e:
        if IN_CI:
            pytest.fail(f"CI=true and no PostgreSQL server could be had: {e}", pytrace=False)
        pytest.skip(f"no PostgreSQL server: {e}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: PostgresServer, worker_id: str) -> Iterator[str]:
    """A database for this run (and xdist worker) only; dropped at the end."""
    name = f"memesnipe_test_{os.getpid()}_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_settings(pg_server: PostgresServer, pg_database: str) -> Settings:
    """Settings pointing at a fresh schema of the run's database."""
    return fresh_pg_settings(pg_server, pg_database)


def fresh_pg_settings(pg_server: PostgresServer, pg_database: str) -> Settings:
    """Settings pointing at a new schema of the run's database (for fixtures of any scope)."""
    params = pg_server.params
    env = {
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", 5432)),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_DBNAME": pg_database,
        "POSTGRES_SCHEMA": f"t_{uuid.uuid4().hex[:12]}",
        "MEMESNIPE_CONFIG": "",
    }
    return load_settings(env, store="postgres", config_file=_no_config())


def _no_config() -> Path:
    return Path(__file__).parent / "empty_config.toml"


def settings_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for one store kind, isolated to this test."""
    if kind == "postgres":
        settings: Settings = request.getfixturevalue("pg_settings")
        return settings
    return load_settings({}, store=kind, data_dir=tmp_path / "data", config_file=_no_config())


@pytest.fixture(params=STORES)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each store in turn, migrated."""
    settings = settings_for(request.param, tmp_path, request)
    migrate(settings)
    return settings


@pytest.fixture
def store(store_settings: Settings) -> Iterator[LedgerStore]:
    """An open, migrated, empty ledger on each store in turn."""
    with open_ledger(store_settings) as opened:
        yield opened


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        uses_pg = "pg_settings" in getattr(item, "fixturenames", ())
        if uses_pg or (callspec and callspec.params.get("store_settings") == "postgres"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker name, or 'main' without xdist."""
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))
