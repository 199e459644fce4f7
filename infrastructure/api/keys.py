"""API keys: three roles, stored hashed.

A key reads ``msk_<key id>_<secret>``; only its SHA-256 is stored (table
``api_keys``), so a leaked database does not leak keys, and the key itself is
shown once, when it is created. Verification looks the key id up and compares
hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import psycopg
from psycopg import sql

from infrastructure.config import Settings
from infrastructure.errors import ConfigError

Role = Literal["viewer", "auditor", "operator"]
ROLES: tuple[Role, ...] = ("viewer", "auditor", "operator")
RANK = {role: rank for rank, role in enumerate(ROLES)}
PREFIX = "msk"


@dataclass(frozen=True)
class ApiKey:
    """A key's identity (never the key itself)."""

    key_id: str
    name: str
    role: Role
    created_at: str
    revoked: bool = False

    @property
    def identity(self) -> str:
        """Who a command was issued by: the key's name and id."""
        return f"api-key:{self.name}:{self.key_id}"


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeyStore:
    """Keys in the store's ``api_keys`` table (SQLite file or PostgreSQL schema)."""

    def __init__(self, settings: Settings) -> None:
        if settings.store not in ("sqlite", "postgres"):
            raise ConfigError("API keys need a SQLite or PostgreSQL store")
        self._settings = settings
        self._mark = "?" if settings.store == "sqlite" else "%s"

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._settings.store == "sqlite":
            conn = sqlite3.connect(self._settings.sqlite_path, timeout=30)
            try:
                with conn:
                    return conn.execute(statement, params).fetchall()
            finally:
                conn.close()
        pg = self._settings.postgres
        with psycopg.connect(pg.conninfo(), autocommit=True) as pg_conn:
            pg_conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg.schema)))
            cursor = pg_conn.execute(statement.encode(), params)
            return cursor.fetchall() if cursor.description else []

    def create(self, name: str, role: str) -> tuple[str, ApiKey]:
        """A new key (returned once, in full) and its stored identity."""
        if role not in ROLES:
            raise ConfigError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name.strip():
            raise ConfigError("a key needs a name (who or what uses it)")
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        created = datetime.now(UTC).isoformat(timespec="seconds")
        m = self._mark
        self._execute(
            "INSERT INTO api_keys (key_id, name, role, key_hash, created_at) "
            f"VALUES ({m}, {m}, {m}, {m}, {m})",
            (key_id, name, role, _hash(key), created),
        )
        return key, ApiKey(key_id, name, role, created)

    def verify(self, key: str) -> ApiKey | None:
        """The key's identity if it is valid and not revoked, else None."""
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        rows = self._execute(
            "SELECT key_id, name, role, created_at, revoked, key_hash FROM api_keys "
            f"WHERE key_id = {self._mark}",
            (parts[1],),
        )
        if not rows:
            return None
        key_id, name, role, created, revoked, stored = rows[0]
        if revoked or not hmac.compare_digest(bytes(stored), _hash(key)):
            return None
        return ApiKey(key_id, name, role, created, bool(revoked))

    def list(self) -> list[ApiKey]:
        """Every key's identity, oldest first."""
        rows = self._execute(
            "SELECT key_id, name, role, created_at, revoked FROM api_keys ORDER BY created_at, key_id"
        )
        return [ApiKey(k, n, r, c, bool(v)) for k, n, r, c, v in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False when there is no such key."""
        m = self._mark
        if not self._execute(f"SELECT key_id FROM api_keys WHERE key_id = {m}", (key_id,)):
            return False
        value = 1 if self._settings.store == "sqlite" else True
        self._execute(f"UPDATE api_keys SET revoked = {m} WHERE key_id = {m}", (value, key_id))
        return True
