"""One scenario, every store: appending and reading the log through the EventLog port."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row

from domain.events import Bar
from infrastructure.bootstrap import LedgerStore, migrate, open_ledger
from infrastructure.config import Settings
from tests.conftest import settings_for
from tests.factories import STREAM, bars, rejected_row


def all_events(store: LedgerStore, page_size: int = 1000) -> list[tuple[int, object]]:
    return [(r.notification_id, r.event) for page in store.log.read(0, page_size) for r in page]


def test_appended_events_read_back_equal_and_in_order(store: LedgerStore) -> None:
    written = bars(2_500)
    last = store.log.append(written[:1_000])
    last = store.log.append(written[1_000:])
    read = all_events(store, page_size=700)
    assert [event for _, event in read] == written
    ids = [notification_id for notification_id, _ in read]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[-1] == last
    assert store.log.last_notification_id() == last


def test_reading_after_an_id_resumes_exactly_there(store: LedgerStore) -> None:
    store.log.append(bars(50))
    read = all_events(store)
    middle = read[20][0]
    rest = [r.event for page in store.log.read(after=middle, page_size=7) for r in page]
    assert rest == [event for _, event in read[21:]]


def test_a_batch_with_a_taken_version_is_refused_whole(store: LedgerStore) -> None:
    store.log.append(bars(10))
    before = store.log.last_notification_id()
    clash = bars(5, start_version=9)
    with pytest.raises(IntegrityError):
        store.log.append(clash)
    assert store.log.last_notification_id() == before
    assert len(all_events(store)) == 10


def test_stream_head_is_the_latest_event_of_the_stream(store: LedgerStore) -> None:
    assert store.log.stream_head(STREAM) is None
    store.log.append(bars(30))
    head = store.log.stream_head(STREAM)
    assert isinstance(head, Bar) and head.originator_version == 30


def test_topics_filter_and_counts(store: LedgerStore) -> None:
    store.log.append(bars(12))
    assert store.log.count_by_topic() == {"market.Bar": 12}
    assert all_events(store) == [
        (r.notification_id, r.event) for page in store.log.read(0, 5, topics=["market.Bar"]) for r in page
    ]
    assert list(store.log.read(0, 5, topics=["market.Data.Rejected"])) == []


def test_one_topics_stored_bytes_read_in_pages_with_their_ids(store: LedgerStore) -> None:
    written = bars(9)
    store.log.append(written[:4])
    store.log.append([rejected_row()])
    store.log.append(written[4:])
    stored = [
        (r.notification_id, r.state)
        for page in store.log.read_stored()
        for r in page
        if r.topic == "market.Bar"
    ]
    pages = list(store.log.read_states("market.Bar", 0, 4))
    assert [len(states) for _, states in pages] == [4, 4, 1]
    assert [pair for ids, states in pages for pair in zip(ids, states, strict=True)] == stored
    after = stored[5][0]
    assert [i for ids, _ in store.log.read_states("market.Bar", after) for i in ids] == [
        i for i, _ in stored[6:]
    ]
    assert list(store.log.read_states("market.Data.Imported")) == []


def test_a_read_of_some_topics_leaves_the_pooled_connections_planner_settings_alone(
    pg_settings: Settings,
) -> None:
    """PostgreSQL reads a page of some topics with transaction-local planner settings."""
    migrate(pg_settings)
    with open_ledger(pg_settings) as store:
        datastore = store.ledger.recorder.datastore  # type: ignore[attr-defined]
        assert isinstance(datastore, PostgresDatastore)

        def planner_settings() -> tuple[str, ...] | None:
            with datastore.get_connection() as conn:
                query = "SELECT current_setting('enable_sort'), current_setting('jit')"
                return conn.cursor(row_factory=tuple_row).execute(query).fetchone()

        before = planner_settings()
        store.log.append(bars(12))
        assert sum(len(page) for page in store.log.read(0, 5, topics=["market.Bar"])) == 12
        assert before is not None and before[0] == "on"
        assert planner_settings() == before


def test_the_library_and_the_fast_path_share_one_log(store: LedgerStore) -> None:
    first, second = bars(2)
    store.ledger.save(first)
    store.log.append([second])
    assert [event for _, event in all_events(store)] == [first, second]
    notifications = store.ledger.recorder.select_notifications(None, 10)
    assert [store.ledger.mapper.to_domain_event(n) for n in notifications] == [first, second]


def test_a_sqlite_files_pages_read_ahead_stop_cleanly_when_the_reader_stops_early(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # The next page is read on a thread while the caller works on this one: a caller that stops
    # after the first page leaves no reading thread behind, and the file reads again as before.
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        store.log.append(bars(9))
        pages = store.log.read_states("market.Bar", 0, 4)
        first_ids, _ = next(pages)
        pages.close()
        assert list(first_ids) == [1, 2, 3, 4]
        assert not [t for t in threading.enumerate() if t.name.startswith("page-reader")]
        assert [len(states) for _, states in store.log.read_states("market.Bar", 0, 4)] == [4, 4, 1]
