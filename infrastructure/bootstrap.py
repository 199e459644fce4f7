"""The composition root: builds the ledger and its event log from frozen settings.

Nothing else creates connections or applications. The embedded SQLite store
is migrated on open (it belongs to the user); a PostgreSQL store must have
been migrated by ``memesnipe db migrate`` first, and opening one that is
behind raises StoreNotReady rather than changing a shared database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from application.errors import StoreNotReady
from application.ports import EventLog
from infrastructure.config import PostgresSettings, Settings
from infrastructure.errors import ConfigError
from infrastructure.read_models.sql_store import SqlReadModels
from infrastructure.store.codec import EventCodec
from infrastructure.store.ledger import Ledger
from infrastructure.store.migrate import (
    latest_version,
    migrate_postgres,
    migrate_sqlite,
    postgres_version,
)
from infrastructure.store.postgres_log import PostgresEventLog
from infrastructure.store.recorder_log import RecorderEventLog
from infrastructure.store.sqlite_log import SQLiteEventLog
from infrastructure.store.sqlite_writer import SQLiteWriterProcess


@dataclass(frozen=True)
class LedgerStore:
    """An open ledger: the library application (for aggregates) and the fast event log."""

    ledger: Ledger
    log: EventLog
    settings: Settings
    chained: bool = True


def ledger_env(settings: Settings) -> dict[str, str]:
    """The ``eventsourcing`` settings for the chosen store (tables come from migrations)."""
    if settings.store == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if settings.store == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "CREATE_TABLE": "no",
        }
    pg = settings.postgres
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": pg.host,
        "POSTGRES_PORT": str(pg.port),
        "POSTGRES_USER": pg.user,
        "POSTGRES_PASSWORD": pg.password.reveal(),
        "POSTGRES_DBNAME": pg.dbname,
        "POSTGRES_SCHEMA": pg.schema,
        "POSTGRES_POOL_SIZE": str(pg.pool_size),
        "POSTGRES_CONNECT_TIMEOUT": str(pg.connect_timeout),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "CREATE_TABLE": "no",
    }


def migrate(settings: Settings, *, bulk_load: bool = False) -> list[str]:
    """Apply pending migrations to the configured store; return what was applied now
    (``bulk_load``: see ``open_ledger``)."""
    if settings.store == "sqlite":
        _ensure_data_dir(settings)
        return migrate_sqlite(str(settings.sqlite_path), bulk_load=bulk_load)
    if settings.store == "postgres":
        return migrate_postgres(settings.postgres.conninfo(), settings.postgres.schema)
    return []


@contextmanager
def open_ledger(
    settings: Settings, chained: bool = True, *, bulk_load: bool = False
) -> Iterator[LedgerStore]:
    """Open the configured ledger; closes its connections on exit.

    Every append links its events into the hash chain in its own transaction;
    ``chained=False`` leaves them for ``extend_chain`` (only for measuring the chain's cost).
    ``bulk_load``: a new SQLite file that one writer fills (a backtest's own log) is created
    without its stream key, which that writer builds at the end (``stream_key``).
    """
    codec = EventCodec()
    if settings.store == "sqlite":
        migrate(settings, bulk_load=bulk_load)
    elif settings.store == "postgres":
        _require_migrated(settings)
    ledger = Ledger(ledger_env(settings), codec)
    try:
        log = _event_log(ledger, codec, settings, chained)
        yield LedgerStore(ledger=ledger, log=log, settings=settings, chained=chained)
    finally:
        ledger.close()


def open_read_models(settings: Settings) -> SqlReadModels:
    """The projections' views in the configured store (SQLite file or PostgreSQL schema)."""
    if settings.store == "sqlite":
        migrate(settings)
        return SqlReadModels("sqlite", sqlite_path=str(settings.sqlite_path))
    if settings.store == "postgres":
        _require_migrated(settings)
        return SqlReadModels(
            "postgres", conninfo=settings.postgres.conninfo(), schema=settings.postgres.schema
        )
    raise ConfigError("the read side needs a SQLite or PostgreSQL store; the memory store keeps no views")


@contextmanager
def bulk_appender(store: LedgerStore) -> Iterator[EventLog | SQLiteWriterProcess]:
    """The log a bulk append (ingestion) goes through.

    On SQLite a writer process inserts and links each batch on the other core while this
    one prepares the next: its appends return the previous batch's id, its ``flush`` the
    last one's (``last_appended``). Elsewhere, the store's own log. Closed (everything
    committed, or the error raised) on exit.
    """
    settings = store.settings
    if settings.store != "sqlite":
        yield store.log
        return
    writer = SQLiteWriterProcess(
        str(settings.sqlite_path),
        store.log,
        synchronous=settings.sqlite_synchronous,
        chained=store.chained,
        codec=EventCodec(),
    )
    try:
        yield writer
    finally:
        writer.close()


def last_appended(log: EventLog | SQLiteWriterProcess, returned: int) -> int:
    """The id of the last event appended through ``log``, given what its last append returned."""
    return log.flush() if isinstance(log, SQLiteWriterProcess) else returned


def extend_chain(log: EventLog) -> int:
    """Link whatever the store's hash chain does not cover yet (appends link their own events, so
    usually nothing; 0 for the memory store, which has no chain)."""
    extend = getattr(log, "extend_chain", None)
    return int(extend()) if extend is not None else 0


def run_settings(run_dir: Path) -> Settings:
    """Settings of a run's own embedded log (``<run_dir>/ledger.sqlite``)."""
    return Settings(
        store="sqlite", data_dir=run_dir, postgres=PostgresSettings(), sqlite_synchronous="NORMAL"
    )


def log_file_settings(path: Path) -> Settings:
    """Settings to open an existing ledger file, or the ledger of a run directory."""
    if path.is_dir():
        path = path / "ledger.sqlite"
    if not path.is_file():
        raise ConfigError(f"no ledger file at {path}")
    if path.name != "ledger.sqlite":
        raise ConfigError(f"a ledger file is named ledger.sqlite, got {path.name}")
    return run_settings(path.parent)


def _event_log(ledger: Ledger, codec: EventCodec, settings: Settings, chained: bool) -> EventLog:
    datastore = getattr(ledger.recorder, "datastore", None)
    if isinstance(datastore, SQLiteDatastore):
        return SQLiteEventLog(datastore, codec, settings.sqlite_synchronous, chained)
    if isinstance(datastore, PostgresDatastore):
        return PostgresEventLog(datastore, codec, chained)
    return RecorderEventLog(ledger.recorder, codec)


def _require_migrated(settings: Settings) -> None:
    have = postgres_version(settings.postgres.conninfo(), settings.postgres.schema)
    need = latest_version("postgres")
    if have < need:
        raise StoreNotReady(
            f"{settings.postgres.describe()} is at schema version {have}, this code needs {need}: "
            "run `memesnipe db migrate`"
        )


def _ensure_data_dir(settings: Settings) -> None:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the data directory {settings.data_dir}: {e.strerror}") from None
