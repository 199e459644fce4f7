"""A bulk-loaded SQLite log: no stream key while it fills, the key built at its end, and a load
that stopped before its end gets the key at the next open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from application.audit.verify_chain import verify_chain
from infrastructure.bootstrap import open_ledger
from infrastructure.errors import StoreError
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_writer import SQLiteWriterProcess
from infrastructure.store.stream_key import KEY_INDEX, has_stream_key
from tests.conftest import settings_for
from tests.factories import bars


def _indexes(path: Path) -> list[str]:
    with sqlite3.connect(path) as database:
        rows = database.execute("PRAGMA index_list(stored_events)").fetchall()
    return sorted(str(row[1]) for row in rows)


def _keyed(path: Path) -> bool:
    with sqlite3.connect(path) as database:
        return has_stream_key(database.cursor())


def test_a_bulk_load_fills_a_table_without_the_key_and_builds_it_at_its_end(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings, bulk_load=True) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        writer.append(bars(5))
        writer.flush()
        assert _indexes(settings.sqlite_path) == [], "no index while the load runs"
        writer.build_stream_key()
        writer.append(bars(3, start_version=6))  # after the key: inserted under it
        assert writer.flush() == 8
        writer.close()
        assert _indexes(settings.sqlite_path) == [KEY_INDEX]
        head = store.log.stream_head(bars(1)[0].originator_id)
        assert head is not None and head.originator_version == 8
        assert verify_chain(store.log).intact  # type: ignore[arg-type]
    with sqlite3.connect(settings.sqlite_path) as database:
        plan = database.execute(
            "EXPLAIN QUERY PLAN SELECT state FROM stored_events WHERE originator_id = ? "
            "ORDER BY originator_version",
            ("x",),
        ).fetchall()
    assert KEY_INDEX in str(plan), "stream reads use the key"


def test_a_version_claimed_twice_in_a_bulk_load_fails_the_load_naming_it(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings, bulk_load=True) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        writer.append(bars(3))
        writer.append(bars(2, start_version=3))  # no key yet: version 3 goes in twice
        writer.build_stream_key()
        with pytest.raises(StoreError, match=r"2 events claim stream [0-9a-f]{32} version 3"):
            writer.flush()
        with pytest.raises(StoreError, match="takes no more batches"):
            writer.append(bars(1, start_version=6))
        writer.close()
    assert not _keyed(settings.sqlite_path)


def test_a_load_that_stopped_before_its_end_gets_its_key_at_the_next_open(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings, bulk_load=True) as store:
        store.log.append(bars(4))
    assert not _keyed(settings.sqlite_path)
    with open_ledger(settings) as store:
        assert _keyed(settings.sqlite_path)
        stream = store.log.read_stream(bars(1)[0].originator_id, 0, 9)
        assert [recorded.event.originator_version for recorded in stream] == [1, 2, 3, 4]


def test_an_ordinary_ledger_keeps_its_primary_key_and_gets_no_second_one(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    for start in (1, 3):
        with open_ledger(settings) as store:
            store.log.append(bars(2, start_version=start))
    assert _indexes(settings.sqlite_path) == ["sqlite_autoindex_stored_events_1"]
    with open_ledger(settings, bulk_load=True):  # an existing file is never made keyless
        pass
    assert _indexes(settings.sqlite_path) == ["sqlite_autoindex_stored_events_1"]


def test_a_damaged_file_whose_load_stopped_is_refused_naming_it(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings, bulk_load=True) as store:
        store.log.append(bars(400))
    with sqlite3.connect(settings.sqlite_path) as database:
        (root,) = database.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'stored_events'"
        ).fetchone()
        (page_size,) = database.execute("PRAGMA page_size").fetchone()
    with open(settings.sqlite_path, "r+b") as file:  # a commit cut short: the table's root page torn
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)
    with pytest.raises(StoreError, match="its load stopped midway and left it damaged"):
        open_ledger(settings).__enter__()


def test_a_writer_filling_a_new_file_alone_loads_it_without_a_wal_and_leaves_it_wal(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings, bulk_load=True):
        pass  # the new file's tables
    writer = SQLiteWriterProcess(str(settings.sqlite_path), None, codec=EventCodec())
    writer.append(bars(5))
    writer.flush()
    assert not Path(f"{settings.sqlite_path}-wal").exists(), "the load writes into the file itself"
    with pytest.raises(StoreError, match="read the file once the writer is closed"):
        writer.stream_head(bars(1)[0].originator_id)
    writer.build_stream_key()
    writer.close()
    with sqlite3.connect(settings.sqlite_path) as database:
        assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with open_ledger(settings) as store:
        assert [
            r.event.originator_version for r in store.log.read_stream(bars(1)[0].originator_id, 0, 9)
        ] == [
            1,
            2,
            3,
            4,
            5,
        ]
        assert verify_chain(store.log).intact  # type: ignore[arg-type]
