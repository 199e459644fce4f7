"""Periodic checkpoints on SQLite and PostgreSQL: signed, matching the chain, invisible to replay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from freezegun import freeze_time

from application.audit.checkpointing_log import CheckpointingLog
from application.audit.periodic import CheckpointPolicy, PeriodicCheckpoints
from application.audit.replay_window import replay_window
from application.audit.verify_chain import verify_chain
from application.backtest import BacktestConfig, BarsFromRows
from application.engine.replay import verify
from application.engine.session import SessionRunner
from application.ingest import IngestRequest, Source, ingest
from application.reporting.observer import ReportObserver
from domain.audit.chain import checkpoint_message
from domain.events import CheckpointSigned, Event
from domain.ids import Symbol, Venue
from infrastructure.audit.periodic import checkpointing
from infrastructure.audit.signing import FileSigner, signature_valid
from infrastructure.backtest_wiring import BacktestRequest, CsvBars, backtest_in_run_dir
from infrastructure.bootstrap import LedgerStore, log_file_settings, migrate, open_ledger
from infrastructure.config import Settings, load_settings
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_writer import SQLiteWriterProcess
from infrastructure.venues.simulated import SimulatedVenue
from tests.conftest import settings_for
from tests.e2e.test_cli import BARS_CSV
from tests.engine_helpers import bar_rows, config
from tests.integration.test_backtest_by_hand import series

KINDS = ["sqlite", "postgres"]


def prepared(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, events: int = 0, seconds: float = 0
) -> Settings:
    """Settings with this policy; the signing key in the test's directory (PostgreSQL's too)."""
    settings = msgspec.structs.replace(
        settings_for(kind, tmp_path, request),
        checkpoint_every_events=events,
        checkpoint_every_seconds=seconds,
        data_dir=tmp_path / "data",
    )
    migrate(settings)
    return settings


def recorded(store: LedgerStore) -> list[tuple[int, object]]:
    return [(r.notification_id, r.event) for page in store.log.read() for r in page]


def assert_signed_and_chained(store: LedgerStore, checkpoints: list[CheckpointSigned]) -> None:
    """Each checkpoint's signature verifies and its head is the chain's link at that id."""
    trail = store.log
    links = {link.notification_id: link.hash for page in trail.chain_links() for link in page}  # type: ignore[attr-defined]
    for signed in checkpoints:
        message = checkpoint_message(signed.head_id, signed.head_hash)
        assert signature_valid(signed.public_key, message, signed.signature)
        assert links[signed.head_id] == signed.head_hash
    assert verify_chain(trail).intact


@pytest.mark.parametrize("kind", KINDS)
def test_ingesting_past_n_events_records_signed_checkpoints_matching_the_chain(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared(kind, request, tmp_path, events=10)
    source = Source("bars", "digest-1", bar_rows([("10", "10")] * 25))
    with open_ledger(settings) as store:
        log = checkpointing(store.log, settings)
        ingest(log, IngestRequest("bar", Venue("sim"), Symbol("TEST/USD"), batch_size=5), source)
        events = recorded(store)
        signed = [e for _, e in events if isinstance(e, CheckpointSigned)]
        assert signed == log.signed and len(signed) == 2  # after 10 and 20 bars; 5 + the marker since
        for notification_id, event in events:
            if isinstance(event, CheckpointSigned):
                before = [n for n, _ in events if n < notification_id][-1]
                assert event.head_id == before  # the head is the event just before the checkpoint
        assert [sum(1 for n, e in events if n <= c.head_id) for c in signed] == [10, 21]
        assert_signed_and_chained(store, signed)
    assert (tmp_path / "data" / "audit-signing-key.pem").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_session_log_with_checkpoints_still_replays_identically(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared(kind, request, tmp_path, events=15)
    cfg = config()
    session = cfg.session("test", "test-version")
    inputs = [(bar, None) for bar in _bars(cfg, series() * 3)]
    with open_ledger(settings) as store:
        log = checkpointing(store.log, settings)
        observer = ReportObserver()
        venue = SimulatedVenue(session.venue, session.originator_id, session.fee_rate, session.slippage_bps)
        SessionRunner(log, EventCodec(), session, venue, observer, batch_size=7).run(inputs)
        assert len(log.signed) >= 3
        topics = [type(e).__name__ for _, e in recorded(store)]
        assert topics.index("CheckpointSigned") < topics.index("SessionEnded")  # in the middle of it
        result = verify(store.log, EventCodec())
        assert result.identical and result.recorded_digest == observer.digest.hexdigest()
        assert result.inputs == sum(
            1 for t in topics if t in {"SessionStarted", "Bar", "SessionEnded"}
        ) + sum(1 for t in topics if t.startswith("VenueOrder"))  # checkpoints are not inputs
        everything = replay_window(store.log, EventCodec(), 0, 2**62)
        assert everything.identical and everything.recorded_digest == result.recorded_digest
        assert_signed_and_chained(store, log.signed)


def _bars(cfg: BacktestConfig, pairs: list[tuple[str, str]]) -> list[Event]:
    rows = BarsFromRows(Source("t", "d", bar_rows(pairs)), cfg.venue, cfg.symbol)
    return [event for event, _ in rows]


def test_every_t_seconds_signs_on_the_next_append_after_t(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared("sqlite", request, tmp_path, seconds=60)
    with freeze_time("2026-01-02T03:04:05Z") as clock, open_ledger(settings) as store:
        log = checkpointing(store.log, settings)
        log.append(_bars(config(), [("10", "10")] * 3)[:1])
        clock.tick(59)
        log.append(_bars(config(), [("10", "10")] * 3)[1:2])
        assert log.signed == []
        clock.tick(2)
        log.append(_bars(config(), [("10", "10")] * 3)[2:])
        [signed] = log.signed
        assert signed.signed_at == "2026-01-02T03:05:06+00:00" and signed.head_id == 3
        clock.tick(3600)
        assert isinstance(log, CheckpointingLog) and log.checkpoints is not None
        assert log.checkpoints.poll(datetime.now(UTC)) is None  # nothing new since: nothing to sign


def test_a_watcher_counts_what_another_writer_appends_and_not_its_own_checkpoints(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared("sqlite", request, tmp_path)
    policy = CheckpointPolicy(every_events=4)
    bars = _bars(config(), [("10", "10")] * 9)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with open_ledger(settings) as writer, open_ledger(settings) as watcher:
        trail = watcher.log
        checkpoints = PeriodicCheckpoints(watcher.log, trail, FileSigner(tmp_path / "k.pem"), policy, t0)
        writer.log.append(bars[:3])
        assert checkpoints.poll(t0) is None and checkpoints.events_since == 3
        writer.log.append(bars[3:5])
        first = checkpoints.poll(t0)
        assert first is not None and first.head_id == 5
        assert checkpoints.poll(t0) is None and checkpoints.events_since == 0  # its own checkpoint
        writer.log.append(bars[5:9])
        second = checkpoints.poll(t0)
        assert second is not None and second.head_id == 10 and second.originator_version == 2
        again = PeriodicCheckpoints(watcher.log, trail, FileSigner(tmp_path / "k.pem"), policy, t0)
        assert again.counted_upto == 10 and again.since == t0  # resumes from the log's last checkpoint
        assert_signed_and_chained(watcher, [first, second])


def test_a_backtest_run_log_written_by_the_writer_process_gets_checkpoints_and_replays(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared("sqlite", request, tmp_path, events=20)
    data = tmp_path / "bars.csv"
    data.write_text(BARS_CSV)
    cfg = config(symbol=Symbol("TEST/USD"), venue=Venue("synthetic"))
    report = backtest_in_run_dir(settings, BacktestRequest(cfg, CsvBars(data), reports=None)).report
    with open_ledger(log_file_settings(Path(report.log))) as run_log:
        events = [e for _, e in recorded(run_log)]
        signed = [e for e in events if isinstance(e, CheckpointSigned)]
        assert signed == events[-1:]  # 60 bars: the runner's one commit, then the checkpoint
        result = verify(run_log.log, EventCodec())
        assert result.identical and result.recorded_digest == report.digest
        assert_signed_and_chained(run_log, signed)


def test_deferred_checkpoints_are_signed_before_the_next_append_and_at_finish(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = prepared("sqlite", request, tmp_path, events=4)
    bars = _bars(config(), [("10", "10")] * 10)
    with open_ledger(settings) as store:
        writer = SQLiteWriterProcess(str(settings.sqlite_path), store.log, codec=EventCodec())
        log = checkpointing(writer, settings, deferred=True)
        try:
            log.append(bars[:5])
            assert log.signed == []  # due, but the batch may still be in flight: not yet
            log.append(bars[5:8])  # signed first, at the head of the first batch
            assert [c.head_id for c in log.signed] == [5]
            log.append(bars[8:10])
            assert len(log.signed) == 1  # 5 events since: due again, signed at finish
            log.finish()
            log.finish()  # nothing appended since: nothing more to sign
        finally:
            writer.close()
        events = recorded(store)
        topics = [type(e).__name__ for _, e in events]
        assert topics == ["Bar"] * 5 + ["CheckpointSigned"] + ["Bar"] * 5 + ["CheckpointSigned"]
        assert [c.head_id for c in log.signed] == [5, 11]
        assert_signed_and_chained(store, log.signed)


class _NoTrail:
    """A trail that must not be asked: signing a committed head reads nothing of the log."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the trail was asked for {name}")


def test_a_committed_head_is_signed_without_reading_the_log_and_only_once_it_moved(
    tmp_path: Path,
) -> None:
    policy = CheckpointPolicy(every_events=2)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    heads = iter([(2, b"a" * 32), (2, b"a" * 32), (5, b"b" * 32)])
    with open_ledger(load_settings({}, store="memory")) as store:
        checkpoints = PeriodicCheckpoints(
            store.log,
            _NoTrail(),
            FileSigner(tmp_path / "k.pem"),
            policy,
            t0,
            lambda: next(heads),  # type: ignore[arg-type]
        )
        checkpoints.count(2)
        first = checkpoints.sign_if_due(t0)
        assert first is not None and (first.head_id, first.head_hash, first.originator_version) == (
            2,
            b"a" * 32,
            1,
        )
        checkpoints.count(3)
        assert checkpoints.sign_if_due(t0) is None, (
            "the committed head has not moved past the last checkpoint"
        )
        second = checkpoints.sign_if_due(t0)  # still due: signed once the head moved
        assert second is not None and (second.head_id, second.originator_version) == (5, 2)
        assert signature_valid(second.public_key, checkpoint_message(5, b"b" * 32), second.signature)
        assert [r.event for page in store.log.read() for r in page] == [first, second]
