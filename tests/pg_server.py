"""Finding a real PostgreSQL server for the tests, or starting a throwaway one.

Order: ``DATABASE_URL`` / ``POSTGRES_*`` when set; else the local server on
127.0.0.1:5432 if it answers; else a new cluster from the installed
``initdb`` and ``pg_ctl`` in a temporary directory (as the ``postgres`` user
when running as root, since initdb refuses root). Every test run then works
in a database of its own, dropped at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infrastructure.config import load_settings


@dataclass
class PostgresServer:
    """A reachable server: admin connection parameters, and how to stop it if we started it."""

    params: dict[str, str | int]
    origin: str
    stop_command: list[str] = field(default_factory=list)
    directory: str | None = None

    def conninfo(self, dbname: str | None = None) -> str:
        params = dict(self.params)
        if dbname:
            params["dbname"] = dbname
        return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})

    def stop(self) -> None:
        if self.stop_command:
            subprocess.run(self.stop_command, check=False, capture_output=True)
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _answers(params: dict[str, str | int]) -> bool:
    try:
        with psycopg.connect(make_conninfo(**{**params, "connect_timeout": 3})):
            return True
    except psycopg.Error:
        return False


def _configured() -> dict[str, str | int] | None:
    env = os.environ
    if not env.get("DATABASE_URL") and not any(k.startswith("POSTGRES_") for k in env):
        return None
    pg = load_settings(env, store="postgres").postgres
    params: dict[str, str | int] = dict(conninfo_to_dict(pg.conninfo()))  # type: ignore[arg-type]
    return params


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binaries() -> tuple[str, str] | None:
    for directory in [None, *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        initdb = shutil.which("initdb", path=directory)
        pg_ctl = shutil.which("pg_ctl", path=directory)
        if initdb and pg_ctl:
            return initdb, pg_ctl
    return None


def start_throwaway() -> PostgresServer:
    """initdb + pg_ctl in a temporary directory on a free loopback port."""
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError("no initdb/pg_ctl found (install the PostgreSQL server package)")
    initdb, pg_ctl = binaries
    directory = tempfile.mkdtemp(prefix="memesnipe-pg-")
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = str(Path(directory) / "data"), _free_port()
    subprocess.run(
        [*run_as, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off"
    subprocess.run(
        [*run_as, pg_ctl, "-D", data, "-o", options, "-l", f"{directory}/log", "-w", "start"],
        check=True,
        capture_output=True,
    )
    params: dict[str, str | int] = {
        "host": "127.0.0.1",
        "port": port,
        "user": "postgres",
        "dbname": "postgres",
    }
    deadline = time.monotonic() + 30
    while not _answers(params):
        if time.monotonic() > deadline:
            raise RuntimeError(f"throwaway PostgreSQL did not start; see {directory}/log")
        time.sleep(0.2)
    return PostgresServer(
        params,
        f"throwaway cluster in {directory} (port {port})",
        [*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"],
        directory,
    )


def find_server() -> PostgresServer:
    """The server the tests use; raises RuntimeError when none can be had."""
    configured = _configured()
    if configured is not None:
        if not _answers(configured):
            raise RuntimeError("DATABASE_URL/POSTGRES_* is set but that server does not answer")
        return PostgresServer(configured, "DATABASE_URL/POSTGRES_* from the environment")
    local: dict[str, str | int] = {
        "host": "127.0.0.1",
        "port": 5432,
        "user": "postgres",
        "dbname": "postgres",
    }
    if os.environ.get("MEMESNIPE_TEST_PG") != "throwaway" and _answers(local):
        return PostgresServer(local, "local server on 127.0.0.1:5432")
    return start_throwaway()
