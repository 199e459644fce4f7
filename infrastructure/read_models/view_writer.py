"""Committing the views from a second process, so catch-up uses both cores.

A writer thread was tried first: the database's work overlapped Python's, but every
row's parameters are bound under the GIL, and the two threads convoyed on it (the
views' writes ran about three times slower than alone; measured with ``bench/api.py``).
A process has no GIL to share. The runner's process prepares each commit (plain
values: ``SqlReadModels.prepare``) and sends it; the writer executes it in one
transaction (``SqlReadModels.apply``) and answers. At most one commit is in flight:
``commit`` waits for the previous answer before sending, so order and back-pressure
hold, and a failure surfaces at the next ``commit`` or at ``flush``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import IO

import msgspec

from application.read_models.ports import RowQuery, StoredVersion
from infrastructure.errors import StoreError
from infrastructure.read_models.sql_store import PreparedCommit, SqlReadModels
from projections.base import Table, Version

_ENCODER = msgspec.msgpack.Encoder()
_COMMITS = msgspec.msgpack.Decoder(PreparedCommit)


class WriterConfig(msgspec.Struct):
    """Where the writer connects (sent on its stdin, so no password is on a command line)."""

    dialect: str
    sqlite_path: str = ""
    conninfo: str = ""
    schema: str = "public"


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(4, "big"))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    return stream.read(int.from_bytes(header, "big"))


def serve() -> None:
    """The writer's loop: a config, then prepared commits in; ``ok`` or an error out."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    first = _receive(source)
    if first is None:
        return
    config = msgspec.msgpack.decode(first, type=WriterConfig)
    views = SqlReadModels(
        config.dialect, sqlite_path=config.sqlite_path, conninfo=config.conninfo, schema=config.schema
    )
    while (data := _receive(source)) is not None:
        try:
            views.apply(SqlReadModels.unwire(_COMMITS.decode(data)))
            _send(sink, b"ok")
        except Exception as error:  # reported to the runner's process, which raises it
            _send(sink, f"{type(error).__name__}: {error}".encode())
    views.close()


class ViewWriterProcess:
    """A ``ReadModelStore`` whose commits run in a child process; reads go to ``views``."""

    def __init__(self, views: SqlReadModels, config: WriterConfig) -> None:
        self.views = views
        self._process = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.read_models.view_writer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to: IO[bytes] = self._process.stdin
        self._from: IO[bytes] = self._process.stdout
        self._in_flight = False
        _send(self._to, _ENCODER.encode(config))

    def positions(self) -> dict[str, int]:
        """Committed positions (after the commit in flight)."""
        self.flush()
        return self.views.positions()

    def commit(self, positions: Mapping[str, int], changes: Mapping[str, Sequence[Version]]) -> None:
        """Prepare here, send, and return; the previous commit must have succeeded first."""
        prepared = self.views.prepare(positions, changes, text_decimals=True, for_wire=True)
        self.flush()
        try:
            _send(self._to, _ENCODER.encode(prepared))
        except BrokenPipeError:
            raise StoreError(f"the view writer has stopped (exit code {self._process.poll()})") from None
        self._in_flight = True

    def flush(self) -> None:
        """Wait for the commit in flight; raise if it failed (it was rolled back)."""
        if not self._in_flight:
            return
        self._in_flight = False
        answer = _receive(self._from)
        if answer is None:
            raise StoreError(f"the view writer stopped (exit code {self._process.wait()}); see its stderr")
        if answer != b"ok":
            raise StoreError(f"the view writer's commit failed and was rolled back: {answer.decode()}")

    def reset(self, projection: str, tables: Sequence[Table]) -> None:
        """Empty a projection's views (after the commit in flight)."""
        self.flush()
        self.views.reset(projection, tables)

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """Read through ``views`` (after the commit in flight)."""
        self.flush()
        return self.views.rows(query)

    def close(self) -> None:
        """Finish the commit in flight and stop the writer."""
        try:
            self.flush()
        finally:
            self._to.close()
            self._process.wait(timeout=60)


if __name__ == "__main__":
    serve()
