"""The equity chart read from the views, on SQLite and PostgreSQL: every bucket's extremes are its
marks' own, a one-mark dip survives, and only the account's current session is charted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from application.read_models.equity_chart import MAX_POINTS, Buckets
from infrastructure.bootstrap import migrate, open_read_models
from infrastructure.read_models.equity_chart import SqlEquityChart
from infrastructure.read_models.sql_store import SqlReadModels
from projections.base import Version
from projections.portfolio import EQUITY, EquityRow
from projections.sessions import SESSIONS, SessionRow
from tests.conftest import settings_for
from tests.integration.conftest import SQL_STORES

MINUTE = 60_000_000_000
START = 1_700_000_000 * 1_000_000_000


@pytest.fixture(params=SQL_STORES)
def views(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlReadModels]:
    settings = settings_for(request.param, tmp_path, request)
    migrate(settings)
    opened = open_read_models(settings)
    yield opened
    opened.close()


def mark(index: int, account: str, equity: Decimal, drawdown: Decimal) -> EquityRow:
    return EquityRow(
        ts=START + index * MINUTE,
        account=account,
        symbol="TEST/USD",
        mark=Decimal("1.5"),
        cash=equity,
        equity=equity,
        high_water=Decimal(1100),
        drawdown_pct=drawdown,
        realized_pnl=Decimal(0),
        unrealized_pnl=Decimal(0),
        fees=Decimal(0),
    )


def wobble(count: int, dip_at: int, seed: int = 7) -> list[tuple[Decimal, Decimal]]:
    """Equity within 10 of 1,000 with sixteen decimals (no two alike), one mark far below."""
    rng = random.Random(seed)
    curve = []
    for index in range(count):
        equity = Decimal(1000) + Decimal(rng.randrange(-(10**17), 10**17)).scaleb(-16)
        if index == dip_at:
            equity = Decimal("12.3456789012345678")
        curve.append((equity, ((Decimal(1100) - equity) * 100 / Decimal(1100)).quantize(Decimal("1e-6"))))
    return curve


def store(views: SqlReadModels, rows: list[EquityRow], first_seq: int = 1) -> list[Version]:
    versions = [Version(first_seq + i, 10 + first_seq + i, row) for i, row in enumerate(rows)]
    views.commit({"portfolio": versions[-1].valid_from}, {EQUITY.name: versions})
    return versions


def test_a_one_mark_dip_is_its_buckets_minimum_and_every_bucket_holds_its_marks_extremes(
    views: SqlReadModels,
) -> None:
    curve = wobble(9_000, dip_at=4_321)
    rows: list[EquityRow] = []
    for index, (equity, drawdown) in enumerate(curve):
        rows.append(mark(index, "acct", equity, drawdown))
        if index % 2 == 0:  # another account's marks between, lower still: not this chart's
            rows.append(mark(index, "other", Decimal("0.5"), Decimal("99.9")))
    store(views, rows)
    chart = SqlEquityChart(views).equity_chart("acct", points=100)
    assert chart.account == "acct" and chart.marks == len(curve) and len(chart.buckets) == 100
    mine = [row for row in rows if row.account == "acct"]
    assert chart.first is not None and chart.last is not None
    assert (chart.first["ts"], Decimal(chart.first["equity"])) == (mine[0].ts, mine[0].equity)
    assert (chart.last["ts"], Decimal(chart.last["equity"])) == (mine[-1].ts, mine[-1].equity)
    seen = 0
    for bucket in chart.buckets:  # each against its own marks, by their times
        inside = [row for row in mine if bucket.ts_first <= row.ts <= bucket.ts_last]
        assert bucket.marks == len(inside) and (inside[0].ts, inside[-1].ts) == (
            bucket.ts_first,
            bucket.ts_last,
        )
        equities = [row.equity for row in inside]
        drawdowns = [row.drawdown_pct for row in inside]
        assert (bucket.equity_min, bucket.equity_max) == (str(min(equities)), str(max(equities)))
        assert (bucket.drawdown_min, bucket.drawdown_max) == (str(min(drawdowns)), str(max(drawdowns)))
        seen += len(inside)
    assert seen == len(mine)
    [dipped] = [b for b in chart.buckets if b.equity_min == "12.3456789012345678"]
    assert dipped.ts_first <= mine[4_321].ts <= dipped.ts_last
    assert Decimal(dipped.drawdown_max) == mine[4_321].drawdown_pct
    assert max(Decimal(b.drawdown_max) for b in chart.buckets) == mine[4_321].drawdown_pct


def test_the_chart_covers_the_accounts_current_session_only(views: SqlReadModels) -> None:
    earlier = [mark(i, "acct", Decimal(900 + i), Decimal(0)) for i in range(50)]
    versions = store(views, earlier)
    started = versions[-1].valid_from + 1
    session = SessionRow(
        ts=0,
        account="acct",
        session_id="s-2",
        mode="paper",
        currency="USD",
        starting_cash=Decimal(1000),
        venue="sim",
        strategies="sma_cross:TEST/USD",
        code_version="test",
        started_id=started,
        ended=0,
    )
    views.commit({"sessions": started}, {SESSIONS.name: [Version(1, started, session)]})
    later = [mark(100 + i, "acct", Decimal(1000 + i), Decimal(0)) for i in range(30)]
    store(views, later, first_seq=len(earlier) + 2)  # valid_from after the session's start
    chart = SqlEquityChart(views).equity_chart(None)
    assert (chart.account, chart.session_id, chart.marks) == ("acct", "s-2", 30)
    assert chart.first is not None and Decimal(chart.first["equity"]) == Decimal(1000)
    assert [b.equity_min for b in chart.buckets] == [str(row.equity) for row in later]


def test_no_marks_is_an_empty_chart_and_points_are_bounded(views: SqlReadModels) -> None:
    chart = SqlEquityChart(views).equity_chart(None)
    assert (chart.account, chart.first, chart.last, chart.buckets) == (None, None, None, [])
    store(views, [mark(0, "acct", Decimal(1), Decimal(0))])
    assert SqlEquityChart(views).equity_chart("nobody").buckets == []
    one = SqlEquityChart(views).equity_chart("acct", points=1)
    assert [(b.marks, b.equity_min, b.equity_max) for b in one.buckets] == [(1, "1", "1")]
    for points in (0, MAX_POINTS + 1):
        with pytest.raises(ValueError, match="points must be"):
            SqlEquityChart(views).equity_chart("acct", points)


def test_buckets_cover_the_range_in_at_most_the_points_asked() -> None:
    for first, last, points in ((1, 1, 5), (1, 10, 3), (7, 1_000_006, 2_000), (5, 104, 100)):
        buckets = Buckets.covering(first, last, points)
        assert buckets.count <= points and buckets.start == first
        assert (
            buckets.start + (buckets.count - 1) * buckets.width
            <= last
            < first + buckets.count * buckets.width
        )
    with pytest.raises(ValueError):
        Buckets.covering(5, 4, 10)
