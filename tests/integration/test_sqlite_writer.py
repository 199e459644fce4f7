"""Bulk appends to SQLite through the writer process: same log, chain linked, errors surface."""

from __future__ import annotations

import fcntl
import signal
import time
from pathlib import Path

import pytest

from application.audit.verify_chain import verify_chain
from application.ingest import IngestRequest, ingest
from domain.ids import Symbol, Venue
from infrastructure.bootstrap import bulk_appender, last_appended, open_ledger
from infrastructure.errors import StoreError
from infrastructure.feeds.synthetic import SyntheticMarket
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_writer import PIPE_BYTES, SQLiteWriterProcess
from infrastructure.store.writer_protocol import ENCODER
from tests.conftest import settings_for
from tests.factories import bars


def test_ingesting_through_the_writer_stores_and_links_what_the_log_itself_would(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    wanted = IngestRequest("bar", Venue("kraken"), Symbol("BTC/USD"), batch_size=7)
    stores = []
    for name in ("direct", "writer"):
        settings = settings_for("sqlite", tmp_path / name, request)
        with open_ledger(settings) as store:
            source = SyntheticMarket(bars=50, seed=3).source()
            if name == "direct":
                report = ingest(store.log, wanted, source)
            else:
                with bulk_appender(store) as appender:
                    assert isinstance(appender, SQLiteWriterProcess)
                    report = ingest(appender, wanted, source)
                    report.last_notification_id = last_appended(appender, report.last_notification_id)
            chain = verify_chain(store.log)  # type: ignore[arg-type]
            stored = [(r.notification_id, bytes(r.state)) for p in store.log.read_stored() for r in p]
        assert report.last_notification_id == 51 and chain.intact and chain.links == 51
        stores.append(stored)
    assert stores[0] == stores[1]


def test_appends_by_another_writer_in_between_are_linked_by_the_next_batch(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store, open_ledger(settings, chained=False) as other:
        with bulk_appender(store) as appender:
            appender.append(bars(3))
            assert last_appended(appender, 0) == 3
            other.log.append(bars(2, start_version=4))  # unlinked, between two batches
            appender.append(bars(3, start_version=6))
            assert last_appended(appender, 0) == 8
        report = verify_chain(store.log)  # type: ignore[arg-type]
    assert report.intact and report.links == report.events == 8 and report.unchained == 0


def test_a_failed_batch_is_rolled_back_reported_later_and_nothing_after_it_is_written(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        with bulk_appender(store) as appender:
            appender.append(bars(3))
            appender.append(bars(2, start_version=3))  # version 3 is taken: this batch fails
            appender.append(bars(2, start_version=5))  # sent before the failure is known; fine alone
            with pytest.raises(StoreError, match=r"rolled back.*IntegrityError"):
                last_appended(appender, 0)
            with pytest.raises(StoreError, match="takes no more batches"):
                appender.append(bars(2, start_version=7))
        assert store.log.last_notification_id() == 3, "nothing after the failed batch: no gap in the log"
        assert verify_chain(store.log).intact  # type: ignore[arg-type]


def test_a_message_the_protocol_does_not_have_is_refused_and_nothing_after_it_is_written(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        writer.append(bars(3))
        writer._post(ENCODER.encode(["sign_checkpoint", 3]))  # no such request
        writer.append(bars(2, start_version=4))  # sent before the refusal is known; fine alone
        with pytest.raises(StoreError, match=r"ProtocolError: .*cannot read a request.*'sign_checkpoint'"):
            writer.flush()
        with pytest.raises(StoreError, match="takes no more batches"):
            writer.append(bars(2, start_version=6))
        writer.close()  # quiet: the failure was reported
        assert store.log.last_notification_id() == 3, "nothing after the refused message"


def test_a_dead_writer_is_reported_once_and_takes_no_more_batches(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        writer.append(bars(3))
        writer.flush()
        writer._process.send_signal(signal.SIGSTOP)  # it cannot answer the next batch before it dies
        writer.append(bars(2, start_version=4))  # in flight when the process dies
        writer._process.kill()  # as on an out-of-memory kill
        writer._process.wait()
        with pytest.raises(StoreError, match="stopped"):
            writer.flush()
        with pytest.raises(StoreError, match="takes no more batches"):
            writer.append(bars(2, start_version=6))
        writer.close()  # quiet: the failure was reported
        assert store.log.last_notification_id() == 3


def test_a_writer_found_dead_on_sending_is_reported_and_closes_quietly(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        writer._process.kill()
        writer._process.wait()
        with pytest.raises(StoreError, match="has stopped"):
            writer.append(bars(2))
        with pytest.raises(StoreError, match="takes no more batches"):
            writer.append(bars(2, start_version=3))
        writer.close()
        assert store.log.last_notification_id() == 0


def test_the_writer_copies_committed_pages_into_the_file_while_it_runs(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        before = settings.sqlite_path.stat().st_size
        for start in range(1, 6_001, 2_000):
            writer.append(bars(2_000, start_version=start))
        writer.flush()
        deadline = time.monotonic() + 10
        wanted = before + 6_000 * 150
        while settings.sqlite_path.stat().st_size <= wanted and time.monotonic() < deadline:
            time.sleep(0.02)  # the checkpointer's thread copies after each commit, a page at a time
        grown = settings.sqlite_path.stat().st_size
        assert writer._process.poll() is None, "still running: the copy is not the one at close"
        writer.close()
    assert grown > wanted, "the WAL's pages reached the database file during the run"


def test_the_pipe_to_the_writer_holds_a_mebibyte(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        size = fcntl.fcntl(writer._to_writer.fileno(), fcntl.F_GETPIPE_SZ)
        writer.close()
    assert size == PIPE_BYTES == 1 << 20
