"""A C module's connection closed while another thread's call uses it is an error, not a crash.

The run-log loader (``_loader.c``) and the page reader (``_bar_columns.c``) work on SQLite without
the interpreter lock, the loader on a connection SQLite does not lock for it (NOMUTEX). Each
call here is held inside SQLite by another connection's lock (SQLite's busy wait, the lock
released), and the main thread then tries to close or use the object: RuntimeError, and the call
under way finishes as if nothing happened once the lock goes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from infrastructure.store import bar_columns, bulk_loader

_WAIT = 20.0


def _file(path: Path) -> Path:
    database = sqlite3.connect(path, isolation_level=None)
    database.execute("PRAGMA journal_mode=DELETE")  # a writer's EXCLUSIVE lock keeps readers out
    database.execute("CREATE TABLE stored_events (originator_id, originator_version, topic, state)")
    database.executemany(
        "INSERT INTO stored_events VALUES (?, ?, ?, ?)", [("o", i, "t", bytes([i])) for i in range(5)]
    )
    database.close()
    return path


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The file held by another connection's exclusive lock."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def _in_a_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _until_in_use(target: Any) -> None:
    deadline = time.monotonic() + _WAIT
    while not target.in_use:
        assert time.monotonic() < deadline, "the call never got under way"
        time.sleep(0.01)


@pytest.mark.skipif(bulk_loader._loader is None, reason="the C loader was not built here")
def test_closing_the_loader_during_a_call_is_refused_and_the_call_completes(tmp_path: Path) -> None:
    path = _file(tmp_path / "run.sqlite")
    loader = bulk_loader._loader.Loader(str(path))
    with _locked(path):
        thread, outcome = _in_a_thread(lambda: loader.execute("BEGIN IMMEDIATE"))
        _until_in_use(loader)
        for attempt in (loader.close, lambda: loader.execute("SELECT 1"), loader.copied_digest):
            with pytest.raises(RuntimeError, match="in use"):
                attempt()
        with pytest.raises(RuntimeError, match="in use"):
            loader.append(bytes(32), 5, [], [], [], [], [])
        with pytest.raises(RuntimeError, match="in use"):
            loader.__init__(str(path))
    thread.join(_WAIT)
    assert outcome == [None]
    loader.execute("ROLLBACK")
    loader.close()
    with pytest.raises(bulk_loader._loader.LoadError, match="closed"):
        loader.execute("SELECT 1")


@pytest.mark.skipif(bar_columns._bar_columns is None, reason="the C reader was not built here")
def test_closing_the_reader_during_a_page_is_refused_and_the_page_completes(tmp_path: Path) -> None:
    path = _file(tmp_path / "log.sqlite")
    reader = bar_columns._bar_columns.StateReader(str(path))
    with _locked(path):
        thread, outcome = _in_a_thread(lambda: reader.page("t", 1, 10))
        _until_in_use(reader)
        with pytest.raises(RuntimeError, match="in use"):
            reader.close()
        with pytest.raises(RuntimeError, match="in use"):
            reader.page("t", 0, 10)
    thread.join(_WAIT)
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException)
    ids, blob, offsets = outcome[0]
    assert list(memoryview(offsets).cast("q")) == [0, 1, 2, 3, 4]
    assert list(memoryview(ids).cast("q")) == [2, 3, 4, 5] and blob == bytes([1, 2, 3, 4])
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.page("t", 0, 10)
