"""Settings: read once, frozen, handed to the composition root.

Sources, strongest first: command-line options, environment variables, a
TOML config file (``--config``, ``MEMESNIPE_CONFIG``, else
``$XDG_CONFIG_HOME/memesnipe/config.toml`` when present), defaults.

- store: ``MEMESNIPE_STORE`` / ``store`` (memory, sqlite, postgres); default
  postgres when ``DATABASE_URL`` is set, else sqlite.
- data directory: ``MEMESNIPE_DATA_DIR`` / ``data_dir``; default
  ``$XDG_DATA_HOME/memesnipe`` (``~/.local/share/memesnipe``).
- PostgreSQL: ``DATABASE_URL`` and ``POSTGRES_HOST/PORT/USER/PASSWORD/DBNAME/SCHEMA``
  / ``[postgres] url, host, ...``; default 127.0.0.1:5432, user postgres,
  database memesnipe, schema public.
- periodic signed checkpoints: ``MEMESNIPE_CHECKPOINT_EVERY_EVENTS`` /
  ``checkpoint_every_events`` (default 100,000) and ``MEMESNIPE_CHECKPOINT_EVERY_SECONDS`` /
  ``checkpoint_every_seconds`` (default 3,600); 0 turns that trigger off.

The password never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import msgspec
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infrastructure.errors import ConfigError

StoreKind = Literal["memory", "sqlite", "postgres"]
STORE_KINDS: tuple[StoreKind, ...] = ("memory", "sqlite", "postgres")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Secret:
    """A value that must not be shown: its repr and str are redacted."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that must send it (the database driver)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class PostgresSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the PostgreSQL ledger lives."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: Secret = msgspec.field(default_factory=lambda: Secret(""))
    dbname: str = "memesnipe"
    schema: str = "public"
    pool_size: int = 2
    connect_timeout: int = 5

    def conninfo(self) -> str:
        """A libpq connection string (with the password: never print it)."""
        return make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=self.dbname,
            password=self.password.reveal() or None,
            connect_timeout=self.connect_timeout,
        )

    def describe(self) -> str:
        """Where this points, without the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname} (schema {self.schema})"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the composition root needs to build the application."""

    store: StoreKind
    data_dir: Path
    postgres: PostgresSettings
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    """FULL: every commit survives a power cut (the ledger). NORMAL (WAL): a power cut may lose
    the last commits but never corrupts the file (backtest run logs, which can be re-run)."""
    checkpoint_every_events: int = 100_000
    """Sign the chain's head once this many events were appended since the last checkpoint (0: never)."""
    checkpoint_every_seconds: float = 3_600.0
    """... or once this many seconds passed since it, if anything was appended (0: never)."""

    @property
    def sqlite_path(self) -> Path:
        """The embedded ledger file inside the data directory."""
        return self.data_dir / "ledger.sqlite"

    def describe_store(self) -> str:
        """Where the log is, for people (no secrets)."""
        if self.store == "sqlite":
            return f"sqlite:{self.sqlite_path}"
        if self.store == "postgres":
            return self.postgres.describe()
        return "memory (nothing is kept after the process ends)"


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """The per-user data directory (XDG)."""
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "memesnipe"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    config_file: Path | None = None,
    store: str | None = None,
    data_dir: Path | None = None,
    database_url: str | None = None,
) -> Settings:
    """Settings from options, environment, file and defaults; raises ConfigError."""
    env = dict(os.environ if environ is None else environ)
    file_values = _read_config_file(config_file, env)
    pg_file = file_values.get("postgres", {})
    if not isinstance(pg_file, dict):
        raise ConfigError("[postgres] in the config file must be a table")

    url = database_url or env.get("DATABASE_URL") or pg_file.get("url")
    chosen = store or env.get("MEMESNIPE_STORE") or file_values.get("store")
    chosen = chosen or ("postgres" if url else "sqlite")
    if chosen not in STORE_KINDS:
        raise ConfigError(f"store must be one of {', '.join(STORE_KINDS)}; got {chosen!r}")

    directory = data_dir or _path(env.get("MEMESNIPE_DATA_DIR") or file_values.get("data_dir"))
    return Settings(
        store=cast(StoreKind, chosen),
        data_dir=(directory or default_data_dir(env)).expanduser(),
        postgres=_postgres_settings(url, env, pg_file),
        checkpoint_every_events=int(_checkpoint_setting("events", env, file_values, 100_000)),
        checkpoint_every_seconds=float(_checkpoint_setting("seconds", env, file_values, 3_600)),
    )


def _checkpoint_setting(
    unit: str, env: Mapping[str, str], file_values: Mapping[str, Any], default: int
) -> int | float:
    name, key = f"MEMESNIPE_CHECKPOINT_EVERY_{unit.upper()}", f"checkpoint_every_{unit}"
    where, value = (name, env[name]) if env.get(name) else (key, file_values.get(key, default))
    return checkpoint_interval(where, value, whole=unit == "events")


def checkpoint_interval(where: str, value: object, *, whole: bool) -> int | float:
    """A checkpoint interval (events: a whole number; seconds: any number), 0 or more; 0 means off.

    Raises ConfigError naming ``where`` (the option, variable or file key) and the bad value.
    """
    kind = "a whole number of events" if whole else "a number of seconds"
    problem = ConfigError(f"{where} must be {kind}, 0 or more (0 turns it off); got {value!r}")
    try:
        number = int(str(value).strip()) if whole else float(str(value).strip())
    except ValueError:
        raise problem from None
    if not math.isfinite(number) or number < 0:
        raise problem
    return number


def _path(value: object) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"data_dir must be a path, got {value!r}")
    return Path(value)


def _read_config_file(config_file: Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    explicit = config_file or (Path(env["MEMESNIPE_CONFIG"]) if env.get("MEMESNIPE_CONFIG") else None)
    path = explicit
    if path is None:
        base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        path = Path(base) / "memesnipe" / "config.toml"
        if not path.is_file():
            return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None


def _postgres_settings(
    url: str | None, env: Mapping[str, str], file_values: Mapping[str, Any]
) -> PostgresSettings:
    values: dict[str, Any] = {k: v for k, v in file_values.items() if k != "url"}
    if url:
        values.update(_parse_url(url))
    for key in ("host", "port", "user", "password", "dbname", "schema"):
        if env.get(f"POSTGRES_{key.upper()}"):
            values[key] = env[f"POSTGRES_{key.upper()}"]
    if "password" in values:
        values["password"] = Secret(str(values["password"]))
    try:
        if "port" in values:
            values["port"] = int(values["port"])
    except ValueError:
        raise ConfigError(f"PostgreSQL port must be a number, got {values['port']!r}") from None
    schema = str(values.get("schema", "public"))
    if not _IDENTIFIER.match(schema):
        raise ConfigError(f"PostgreSQL schema must be a lower-case identifier, got {schema!r}")
    try:
        return PostgresSettings(**values)
    except TypeError as e:
        raise ConfigError(f"unknown PostgreSQL setting: {e}") from None


def _parse_url(url: str) -> dict[str, Any]:
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL must start with postgresql:// (the password is not shown)")
    try:
        parts = conninfo_to_dict(url)
    except Exception:  # psycopg raises ProgrammingError; never echo the URL (it may hold a password)
        raise ConfigError("DATABASE_URL is malformed (its text is not shown)") from None
    return {k: v for k, v in parts.items() if k in {"host", "port", "user", "password", "dbname"}}
