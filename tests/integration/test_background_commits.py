"""Commits on a second thread: the same views as committing in line, and a failure is not lost."""

from __future__ import annotations

import pytest

from application.read_models.runner import ProjectionRunner
from infrastructure.bootstrap import LedgerStore
from infrastructure.read_models.background import BackgroundCommits
from infrastructure.read_models.sql_store import SqlReadModels
from projections import ALL
from projections.portfolio import CASH
from tests.integration.test_projections import backtest, dump


def test_a_rebuild_committed_in_the_background_equals_one_committed_in_line(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    backtest(store)
    ProjectionRunner(store.log, views).run_once()
    in_line = dump(views)
    for projection in ALL:
        views.reset(projection.name, projection.tables)
    commits = BackgroundCommits(views)
    runner = ProjectionRunner(store.log, commits, page_size=41)  # many batches, one in flight at a time
    report = runner.run_once()
    commits.close()
    assert report.versions_written > 0 and dump(views) == in_line
    assert views.positions() == {p.name: store.log.last_notification_id() for p in ALL}


def test_a_failed_background_commit_is_raised_and_its_batch_not_recorded(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    backtest(store)
    commits = BackgroundCommits(views)
    runner = ProjectionRunner(store.log, commits, page_size=50)
    runner.run_once(stop_at=60)
    committed = views.positions()
    assert committed and views.table_dump(CASH)
    broken = next(p for p in runner.projections if CASH in p.tables)
    assert broken._seq[CASH.name] > 0
    broken._seq[CASH.name] -= 1  # its next cash version reuses a committed seq: that commit must fail
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        runner.run_once()
    commits.close()
    head = store.log.last_notification_id()
    after = views.positions()
    assert after[broken.name] >= committed[broken.name] and after[broken.name] < head  # never past it
