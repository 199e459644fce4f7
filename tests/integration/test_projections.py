"""Projections into SQL views: exactly once, resumable, rebuildable, and queryable as of any moment.

Each test runs on SQLite and PostgreSQL, over a real backtest log with trades,
fees, a risk denial and breaker transitions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from application.backtest import BacktestReport
from application.ports import EventLog, RecordedEvent
from application.read_models.ports import RowQuery
from application.read_models.runner import ProjectionRunner
from domain.events import Bar
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import LedgerStore
from infrastructure.read_models.sql_store import SqlReadModels
from projections import ALL, TABLES
from projections.base import Row, Table
from projections.breakers import BREAKERS, BreakerRow
from projections.orders import ORDERS, OrderRow
from projections.partial import BarClose
from projections.performance import PERFORMANCE, StrategyPerformanceRow
from projections.portfolio import CASH, EQUITY, POSITIONS, CashRow, EquityRow, PositionRow
from tests.engine_helpers import bar_rows, config, run

R = TypeVar("R", bound=Row)


def wave(count: int = 120) -> list[tuple[str, str]]:
    """Prices on a slow sine with a crash in the middle: many crossovers, a drawdown."""
    closes = [
        Decimal(100) + Decimal(str(round(8 * math.sin(i / 5), 2))) - (15 if 60 <= i < 70 else 0)
        for i in range(count)
    ]
    opens = [Decimal(100), *closes[:-1]]
    return [(str(o), str(c)) for o, c in zip(opens, closes, strict=True)]


def backtest(store: LedgerStore) -> BacktestReport:
    limits = RiskLimits(max_trade_pct=Decimal(100), max_strategy_exposure_pct=Decimal(100))
    cfg = config(
        params=(("fast", "3"), ("size", "5"), ("slow", "8")),
        cash=Decimal(1000),
        limits=limits,
        fee_bps=Decimal(10),
    )
    return run(store.log, bar_rows(wave()), cfg)


def dump(views: SqlReadModels) -> dict[str, list[tuple[Any, ...]]]:
    return {name: views.table_dump(table) for name, table in TABLES.items()}


def current(views: SqlReadModels, table: Table, row_type: type[R]) -> list[R]:
    rows = [v.row for v in views.rows(RowQuery(table, limit=10_000))]
    assert all(isinstance(row, row_type) for row in rows)
    return rows  # type: ignore[return-value]


def test_views_agree_with_the_backtest_report(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    report = backtest(store)
    ProjectionRunner(store.log, views).run_once()
    curve = current(views, EQUITY, EquityRow)
    assert [point.equity for point in curve] == report.equity and len(curve) == 120
    assert max(point.drawdown_pct for point in curve) > 5  # the crash in the middle
    [cash] = current(views, CASH, CashRow)
    positions = current(views, POSITIONS, PositionRow)
    assert not report.open_positions and len(report.trades) >= 2
    realized = sum((p.realized_pnl - p.fees for p in positions), Decimal(0))
    assert realized == sum((t.pnl for t in report.trades), Decimal(0))
    assert cash.cash + sum((p.quantity * curve[-1].mark for p in positions), Decimal(0)) == curve[-1].equity
    [performance] = current(views, PERFORMANCE, StrategyPerformanceRow)
    assert (performance.trades, performance.net_pnl) == (len(report.trades), realized)
    orders = current(views, ORDERS, OrderRow)
    assert sorted({o.status for o in orders}) == ["denied", "filled"]
    assert sum(o.status == "denied" for o in orders) == sum(report.denials.values())
    [breaker] = current(views, BREAKERS, BreakerRow)
    assert (breaker.state, breaker.transitions) == (report.breakers[-1]["to"], len(report.breakers))


def test_a_rebuilt_view_equals_the_live_one(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    backtest(store)
    head = store.log.last_notification_id()
    runner = ProjectionRunner(store.log, views, page_size=37)
    for stop in range(head // 5, head + 1, head // 5):  # live: in steps, as events arrive
        runner.run_once(stop_at=stop)
    runner.run_once()
    live = dump(views)
    assert all(live[t.name] for t in (POSITIONS, CASH, EQUITY, ORDERS))
    for projection in ALL:
        views.reset(projection.name, projection.tables)
    assert views.positions() == {}
    ProjectionRunner(store.log, views).run_once()
    assert dump(views) == live


class WholeEvents:
    """The log, decoding every event whole whatever the reader asks (as a store may)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.asked: list[Mapping[str, type[Any]] | None] = []

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        self.asked.append(decode_as)
        return self.log.read(after, page_size, topics)

    def last_notification_id(self) -> int:
        return self.log.last_notification_id()


def test_views_from_partly_decoded_bars_equal_views_from_whole_ones(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    backtest(store)
    ProjectionRunner(store.log, views, page_size=41).run_once()
    partly = dump(views)
    for projection in ALL:
        views.reset(projection.name, projection.tables)
    whole = WholeEvents(store.log)
    ProjectionRunner(whole, views, page_size=41).run_once()  # type: ignore[arg-type]
    assert whole.asked and all(asked == {Bar.TOPIC: BarClose} for asked in whole.asked)
    assert partly[EQUITY.name] and dump(views) == partly


def test_a_restarted_runner_resumes_where_its_view_stopped(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    backtest(store)
    head = store.log.last_notification_id()
    ProjectionRunner(store.log, views).run_once(stop_at=head // 3)

    class Crash(Exception):
        pass

    crashing = ProjectionRunner(store.log, views, page_size=50)
    real_commit = views.commit
    calls = 0

    def commit_then_crash(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Crash
        real_commit(*args)

    views.commit = commit_then_crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        crashing.run_once()
    views.commit = real_commit  # type: ignore[method-assign]
    stopped = views.positions()
    assert head // 3 < min(stopped.values()) < head
    ProjectionRunner(store.log, views).run_once()
    resumed = dump(views)
    for projection in ALL:
        views.reset(projection.name, projection.tables)
    ProjectionRunner(store.log, views).run_once()
    assert resumed == dump(views)
    assert all(position == head for position in views.positions().values())


def test_as_of_answers_equal_the_live_view_at_that_moment(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    backtest(store)
    head = store.log.last_notification_id()
    runner = ProjectionRunner(store.log, views)
    seen: dict[int, dict[str, list[Any]]] = {}
    for stop in (head // 7, head // 3, head // 2, head - 5, head):
        runner.run_once(stop_at=stop)
        seen[stop] = {name: views.rows(RowQuery(table, limit=10_000)) for name, table in TABLES.items()}
    assert (
        seen[head // 2]["rm_positions"] != seen[head]["rm_positions"]
        or seen[head // 2]["rm_cash"] != seen[head]["rm_cash"]
    )
    for stop, answers in seen.items():
        for name, table in TABLES.items():
            as_of = views.rows(RowQuery(table, as_of=stop, limit=10_000))
            live = [(v.seq, v.row) for v in answers[name]]
            assert [(v.seq, v.row) for v in as_of] == live, (stop, name)
