"""The C loader gives a run log the writer's Python path would: rows, links, copies' digest.

The same batches (inline rows, and runs of rows copied from a source whose ids are not all
consecutive) go into two fresh run logs, one through ``sqlite_chain.insert_chained`` over
``SourceRows``, one through ``NativeBatches``; the files must hold the same rows (values and
SQLite types), the same blocks, and answer the same. A backtest whose writer fills its file
alone (the CLI's way, the C loader) must record what one sharing its file (the Python path) does.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.backtest import BarsFromLog, run_backtest
from domain.events import Bar
from domain.ids import Symbol
from infrastructure.backtest_wiring import check_copies
from infrastructure.bootstrap import log_file_settings, migrate, open_ledger, run_settings
from infrastructure.config import load_settings
from infrastructure.errors import StoreError
from infrastructure.store import bulk_loader
from infrastructure.store.bulk_loader import NativeBatches
from infrastructure.store.codec import EventCodec
from infrastructure.store.source_copies import SourceMissing, SourceRows
from infrastructure.store.sqlite_writer import CACHE_KIB, SQLiteWriterProcess, _write
from infrastructure.store.stream_key import has_stream_key
from infrastructure.store.writer_protocol import ENCODER, AppendBatch, ReceivedBatch, decode_request
from infrastructure.venues.simulated import SimulatedVenue
from tests.engine_helpers import config
from tests.integration.test_bars_from_log import two_symbols

SYMBOL = Symbol("BTC/USD")

pytestmark = pytest.mark.skipif(
    not bulk_loader.NATIVE and os.environ.get("CI", "").lower() != "true",
    reason="the C loader was not built here (no compiler or SQLite headers): nothing to compare",
)


@pytest.fixture(autouse=True)
def _native_is_built() -> None:
    assert bulk_loader.NATIVE, "CI=true: the C loader must be built (gcc, SQLite and OpenSSL headers)"


def _source(tmp_path: Path) -> Path:
    """A SQLite ledger of BTC/USD bars with ETH/USD bars between them (ids not consecutive)."""
    settings = load_settings({}, store="sqlite", data_dir=tmp_path / "source")
    with open_ledger(settings) as store:
        two_symbols(store)
    return settings.sqlite_path


def _fresh(path: Path) -> sqlite3.Connection:
    """A new run log's file, as the writer of a file it fills alone opens it."""
    settings = run_settings(path)
    migrate(settings, bulk_load=True)
    database = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    database.execute("PRAGMA journal_mode=MEMORY")
    database.execute("PRAGMA synchronous=OFF")
    return database


def _fresh_native(tmp_path: Path, source: Path) -> tuple[sqlite3.Connection, NativeBatches]:
    """A new run log under ``tmp_path`` and a C loader for it copying from ``source``."""
    database = _fresh(tmp_path / "run")
    native = NativeBatches.open(
        str(run_settings(tmp_path / "run").sqlite_path), str(source), CACHE_KIB, database
    )
    assert native is not None
    return database, native


def _inline(index: int, state: bytes) -> tuple[UUID, int, str, bytes]:
    return UUID(int=index * 7919 + 1), index, f"trading.Topic{index % 3}", state


def _received(rows: list[tuple[UUID, int, str, bytes]], copies: list[tuple[int, int, int]]) -> ReceivedBatch:
    """A batch as the writer reads it off the pipe: inline rows and copies at their places."""
    sent = AppendBatch(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], copies
    )
    batch = decode_request(ENCODER.encode(sent))
    assert isinstance(batch, AppendBatch)
    return batch


def _batches() -> list[ReceivedBatch]:
    """Batches as the engine's process sends them: inline rows and copies at their places."""
    shapes: list[tuple[list[tuple[UUID, int, str, bytes]], list[tuple[int, int, int]]]] = [
        ([_inline(1, b"\x81\xa1a\x01"), _inline(2, b"")], [(0, 1, 7), (1, 11, 2), (2, 13, 1)]),
        ([], [(0, 14, 3)]),  # copies only
        ([_inline(3, b"\xc1" + bytes(range(256)))], []),  # inline only (a compressed state)
        ([_inline(4, b"x"), _inline(5, b"y")], [(1, 21, 7), (1, 31, 7)]),  # two runs at one place
    ]
    return [_received(rows, copies) for rows, copies in shapes]


def _contents(path: Path) -> list[Any]:
    database = sqlite3.connect(path)
    rows = database.execute(
        "SELECT rowid, originator_id, typeof(originator_id), originator_version, typeof(originator_version), "
        "topic, typeof(topic), state, typeof(state) FROM stored_events ORDER BY rowid"
    ).fetchall()
    blocks = database.execute("SELECT * FROM stored_chain_blocks ORDER BY last_id").fetchall()
    database.close()
    return [rows, blocks]


def test_the_c_loader_writes_the_rows_links_and_digest_of_the_python_path(tmp_path: Path) -> None:
    source = _source(tmp_path)
    python_db, native_db = _fresh(tmp_path / "python"), _fresh(tmp_path / "native")
    rows = SourceRows(str(source))
    native = NativeBatches.open(
        str(run_settings(tmp_path / "native").sqlite_path), str(source), CACHE_KIB, native_db
    )
    assert native is not None
    answers = [
        (_write(python_db, batch, True, rows, None), _write(native_db, batch, True, None, native))
        for batch in _batches()
    ]
    assert all(by_python == by_c for by_python, by_c in answers)
    assert answers[-1][0][0] == 7 + 2 + 1 + 2 + 3 + 1 + 2 + 14
    assert native.copied == (rows.digest, rows.copied) and rows.copied == 27
    native.commit()
    native.close()
    python_db.close()
    native_db.close()
    python, c = (
        _contents(tmp_path / "python" / "ledger.sqlite"),
        _contents(tmp_path / "native" / "ledger.sqlite"),
    )
    assert c == python
    assert {row[2] + row[4] + row[6] + row[8] for row in c[0]} == {"textintegertextblob"}


def test_a_batch_copying_a_row_the_source_lacks_is_refused_and_rolled_back(tmp_path: Path) -> None:
    source = _source(tmp_path)
    database, native = _fresh_native(tmp_path, source)
    batch = _received([(UUID(int=5), 1, "t", b"s")], [(1, 42, 5)])  # the source has 44 rows
    with pytest.raises(SourceMissing, match="has no event 45"):
        native.write(batch)
    assert database.execute("SELECT COUNT(*) FROM stored_events").fetchone() == (0,)
    assert database.execute("SELECT COUNT(*) FROM stored_chain_blocks").fetchone() == (0,)
    native.close()
    database.close()


def test_a_load_is_one_transaction_and_a_failed_batch_rolls_the_whole_load_back(tmp_path: Path) -> None:
    source = _source(tmp_path)
    database, native = _fresh_native(tmp_path, source)
    first, second = _batches()[:2]
    assert native.write(first)[0] == 12
    native.commit()
    assert native.write(second)[0] == 15  # in the load's transaction
    failing = _received([(UUID(int=9), 1, "t", b"s")], [(0, 44, 2)])  # no event 45
    with pytest.raises(SourceMissing, match="has no event 45"):
        native.write(failing)
    native.commit()  # nothing left to commit
    native.close()
    assert database.execute("SELECT MAX(rowid), COUNT(*) FROM stored_events").fetchone() == (12, 12)
    assert database.execute("SELECT MAX(last_id) FROM stored_chain_blocks").fetchone() == (12,)
    database.close()


def _altered_source(tmp_path: Path, statement: str) -> Path:
    """A copy of ``_source`` changed by ``statement`` behind its append-only guards (as only a
    tampered or damaged file could be)."""
    source = _source(tmp_path)
    database = sqlite3.connect(source, isolation_level=None)
    database.execute("DROP TRIGGER stored_events_refuse_update")
    database.execute("DROP TRIGGER stored_events_refuse_delete")
    database.execute(statement)
    database.close()
    return source


def _copy_one_run(tmp_path: Path, source: Path, first: int, count: int) -> sqlite3.Connection:
    """Write one batch copying ``count`` source rows from ``first``; the run log's connection."""
    database, native = _fresh_native(tmp_path, source)
    try:
        native.write(_received([], [(0, first, count)]))
        native.commit()
    finally:
        native.close()
    return database


def test_a_source_row_missing_inside_a_run_is_named_and_the_batch_rolled_back(tmp_path: Path) -> None:
    source = _altered_source(tmp_path, "DELETE FROM stored_events WHERE rowid = 4")
    with pytest.raises(SourceMissing, match="has no event 4 to copy"):
        _copy_one_run(tmp_path, source, 2, 5)
    database = sqlite3.connect(run_settings(tmp_path / "run").sqlite_path)
    assert database.execute("SELECT COUNT(*) FROM stored_events").fetchone() == (0,)
    database.close()


def test_a_source_row_that_is_not_an_event_row_is_refused(tmp_path: Path) -> None:
    source = _altered_source(tmp_path, "UPDATE stored_events SET originator_id = 'not hex' WHERE rowid = 3")
    with pytest.raises(bulk_loader.LoadFailed, match="event 3 is not an event row"):
        _copy_one_run(tmp_path, source, 1, 5)


def test_a_source_whose_path_needs_escaping_in_a_uri_is_copied_from(tmp_path: Path) -> None:
    odd = tmp_path / "a b?c#d%20e&f=g"
    source = _source(odd)
    database = _copy_one_run(tmp_path, source, 1, 7)
    copied = database.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events"
    ).fetchall()
    database.close()
    original = sqlite3.connect(source)
    assert (
        copied
        == original.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid <= 7"
        ).fetchall()
    )
    original.close()


def _run(source: Path, run_dir: Path, alone: bool) -> list[Any]:
    """A backtest over ``source`` (its bars copied by the writer) into a fresh run log, its writer
    filling the file alone (the C loader) or sharing it with a reader (the Python path)."""
    params = (("fast", "2"), ("size", "1"), ("slow", "3"))
    cfg = config(symbol=SYMBOL, params=params)
    codec = EventCodec()
    venue = lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps)  # noqa: E731
    run_dir.mkdir()
    path = run_settings(run_dir).sqlite_path
    migrate(run_settings(run_dir), bulk_load=True)
    with (
        open_ledger(log_file_settings(source)) as src,
        contextlib.nullcontext(None) if alone else open_ledger(run_settings(run_dir)) as run,
    ):
        reader = None if run is None else run.log  # alone: nothing else has the file open
        writer = SQLiteWriterProcess(str(path), reader, codec=codec, source=str(source))
        inputs = BarsFromLog(src.log, codec, SYMBOL, "t", by_reference=True)
        report = run_backtest(
            writer, codec, cfg, inputs, "t", "v", venue, after_session=writer.build_stream_key
        )
        check_copies(writer, inputs)
        writer.close()
        assert writer.native is alone
        assert report.decisions > 0
    return _contents(path)


def test_a_backtest_loaded_by_the_c_loader_records_what_the_python_path_does(tmp_path: Path) -> None:
    source = _source(tmp_path)
    shared = _run(source, tmp_path / "shared", alone=False)
    alone = _run(source, tmp_path / "alone", alone=True)
    assert alone == shared
    assert sum(1 for row in alone[0] if row[5] == Bar.TOPIC) == 30


class _Row:
    """An event as the writer reads it: stream, version, topic."""

    TOPIC = "t"

    def __init__(self, originator_id: UUID, originator_version: int) -> None:
        self.originator_id, self.originator_version = originator_id, originator_version


def test_a_new_file_loaded_in_c_is_keyed_first_and_refuses_a_stream_version_claimed_twice(
    tmp_path: Path,
) -> None:
    settings = run_settings(tmp_path / "run")
    migrate(settings, bulk_load=True)
    writer = SQLiteWriterProcess(str(settings.sqlite_path), None)
    writer.append_encoded([(_Row(UUID(int=5), 1), b"a")])  # type: ignore[list-item]
    assert writer.commit() == 1 and writer.native is True
    with sqlite3.connect(settings.sqlite_path) as database:
        assert has_stream_key(database.cursor()), "keyed before the load"
    writer.append_encoded([(_Row(UUID(int=6), 1), b"b"), (_Row(UUID(int=5), 1), b"c")])  # type: ignore[list-item]
    with pytest.raises(StoreError, match="UNIQUE constraint failed"):
        writer.flush()
    writer.close()
    assert _contents(settings.sqlite_path)[0] == [
        (1, UUID(int=5).hex, "text", 1, "integer", "t", "text", b"a", "blob")
    ], "the refused batch left nothing"


def test_a_process_turns_sqlites_memory_statistics_off_before_its_first_connection_and_works_on() -> None:
    # In a fresh process, as the writer does first: SQLite is shut down, reconfigured and started
    # again; connections made after work as before (the writer's own tests load through them).
    code = (
        "import sqlite3\n"
        "from infrastructure.store.bulk_loader import disable_memory_statistics\n"
        "print(disable_memory_statistics())\n"
        "database = sqlite3.connect(':memory:')\n"
        "database.execute('CREATE TABLE t (x)')\n"
        "database.executemany('INSERT INTO t VALUES (?)', [(bytes(300),)] * 1000)\n"
        "print(database.execute('SELECT COUNT(*), SUM(LENGTH(x)) FROM t').fetchone())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["True", "(1000, 300000)"]
