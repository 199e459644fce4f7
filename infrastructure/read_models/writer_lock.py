"""One projection runner per set of views: the second one is refused with a reason.

Two runners writing the same views would both number their versions from the same
positions and collide (or, worse, interleave). ``writer_lock`` is held for a runner's
lifetime: a session-level advisory lock on PostgreSQL (per schema; released if the
process dies, with its connection), an exclusive ``flock`` on a file beside the SQLite
ledger (released by the kernel when the process ends).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from infrastructure.config import Settings
from infrastructure.errors import StoreError


class ViewsBusy(StoreError):
    """Another projection runner is writing these views."""


def _busy(views: str) -> ViewsBusy:
    return ViewsBusy(
        f"another projection runner is writing the views of {views} (`memesnipe projections run`, "
        "or `memesnipe serve` without --no-projections); stop it first"
    )


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """Hold the views' writer lock, or raise ViewsBusy at once."""
    if settings.store == "postgres":
        with _postgres_lock(settings):
            yield
        return
    with _file_lock(Path(f"{settings.sqlite_path}.projections.lock")):
        yield


@contextmanager
def _postgres_lock(settings: Settings) -> Iterator[None]:
    name = f"memesnipe.projections.{settings.postgres.schema}"
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        row = conn.execute(
            sql.SQL("SELECT pg_try_advisory_lock(hashtext({}))").format(sql.Literal(name))
        ).fetchone()
        if not (row and row[0]):
            raise _busy(f"schema {settings.postgres.schema!r}")
        yield  # closing the connection releases the lock


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(path.name.removesuffix(".projections.lock")) from None
        yield  # closing the file releases the lock
