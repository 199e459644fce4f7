"""The engine's scans of quiet bars are exactly the engine taking one bar at a time.

``SessionRunner.run_pages`` hands each run of bars to ``Engine.advance``, which takes as many
as cause nothing in one call; with ``scan=False`` every bar goes through ``Engine.handle``. Whatever the
market, costs, exits, risk, page and batch sizes, and whether the bars are whole, read back
as ``StoredBar``, or read as closes (``BarPage``) and recorded by reference: the same log, byte
for byte and in the same commits, and the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from application.backtest import BarsFromRows
from application.engine.bar_pages import BarPage, Input
from application.engine.full_risk import FullRisk
from application.engine.session import SessionRunner
from application.ingest import Source
from application.reporting.observer import ReportObserver
from domain.events import Bar, BarClose, StoredBar
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings
from infrastructure.store import codec as codec_module
from infrastructure.store.codec import EventCodec
from infrastructure.venues.simulated import SimulatedVenue
from tests.engine_helpers import bar_rows, config, generated_config
from tests.factories import rejected_row
from tests.properties.test_engine_determinism import COSTS, EXITS, MOVES, PARAMS, rows_from


class CommitCounter:
    """Wraps a log to record each commit's size (the runner's transactions)."""

    def __init__(self, log: object) -> None:
        self.log = log
        self.commits: list[int] = []

    def append_encoded(self, items: list[tuple[object, bytes]]) -> int:
        self.commits.append(len(items))
        return self.log.append_encoded(items)  # type: ignore[attr-defined, no-any-return]

    def last_notification_id(self) -> int:
        return self.log.last_notification_id()  # type: ignore[attr-defined, no-any-return]


class CopyingLog(CommitCounter):
    """A log whose batches may name a bar by its id in a source (as a run log copying from the
    source does): each such item is stored as the source's bar and bytes."""

    def __init__(self, log: object, source: dict[int, tuple[StoredBar, bytes]]) -> None:
        super().__init__(log)
        self.source = source

    def append_encoded(self, items: list[tuple[object, bytes | int | range]]) -> int:
        resolved: list[tuple[object, bytes]] = []
        for event, data in items:
            if isinstance(data, bytes):
                resolved.append((event, data))
            else:  # a source id, or a run of consecutive ones
                assert event is None or isinstance(event, StoredBar | BarClose)
                resolved += [
                    self.source[source_id] for source_id in ([data] if isinstance(data, int) else data)
                ]
        return super().append_encoded(resolved)  # type: ignore[arg-type]


def closes_pages(
    inputs: list[Input], page_size: int, columns: bool = True
) -> tuple[list[BarPage], dict[int, tuple[StoredBar, bytes]]]:
    """Bars as ``BarsFromLog(by_reference=True)`` gives them: pages of closes,
    read as columns (``columns``, where the C reader is built) or decoded, each bar named by an
    id in a source (ids 1000 apart in some places: a source of many symbols)."""
    codec = EventCodec()
    states = [codec.encode(event) for event, _ in inputs]
    ids = [10 + i + 500 * (i % 7 >= 4) + 1000 * (i // 7) for i in range(len(states))]  # increasing, with gaps
    whole = codec.decode_many(Bar.TOPIC, states, StoredBar)
    symbol = whole[0].symbol

    def decode(state: bytes) -> StoredBar:
        return codec.decode_many(Bar.TOPIC, [state], StoredBar)[0]

    def closes(page: Sequence[bytes]) -> list[BarClose]:
        return codec.decode_many(Bar.TOPIC, page, BarClose)

    pages = [
        BarPage(
            symbol,
            ids[i : i + page_size],
            states[i : i + page_size],
            decode,
            closes,
            codec.close_columns(states[i : i + page_size], symbol) if columns else None,
        )
        for i in range(0, len(states), page_size)
    ]
    assert all((page.columns is not None) == columns for page in pages) or not codec_module.COLUMNS_NATIVE
    return pages, {source_id: (bar, state) for source_id, bar, state in zip(ids, whole, states, strict=True)}


def run(
    inputs: list[Input] | list[BarPage],
    cfg: object,
    page_size: int,
    batch_size: int,
    scan: bool,
    source: dict[int, tuple[StoredBar, bytes]] | None = None,
) -> Run:
    session = cfg.session("test", "test-version")  # type: ignore[attr-defined]
    venue = SimulatedVenue(session.venue, session.originator_id, session.fee_rate, session.slippage_bps)
    observer = ReportObserver()
    with open_ledger(load_settings({}, store="memory")) as store:
        log = CommitCounter(store.log) if source is None else CopyingLog(store.log, source)
        runner = SessionRunner(log, EventCodec(), session, venue, observer, batch_size=batch_size)  # type: ignore[arg-type]
        if source is None:
            pages = [inputs[i : i + page_size] for i in range(0, len(inputs), page_size)]
        else:
            pages = inputs  # type: ignore[assignment]
        runner.run_pages(pages, scan=scan)  # type: ignore[arg-type]
        stored = [(r.topic, r.state) for page in store.log.read_stored() for r in page]
    return stored, log.commits, observer


Run = tuple[list[tuple[str, bytes]], list[int], ReportObserver]


def assert_the_same_run(ours: Run, reference: Run) -> None:
    """The same log, byte for byte and in the same commits, and the same report."""
    assert ours[0] == reference[0], "the same events, in the same order, with the same bytes"
    assert ours[1] == reference[1], "in the same commits"
    report, expected = ours[2], reference[2]
    assert report.timestamps == expected.timestamps
    assert [str(e) for e in report.equity] == [str(e) for e in expected.equity]
    floats = list(report.equity.floats())
    assert floats == list(expected.equity.floats()) == [float(e) for e in expected.equity], (
        "floats of the equity"
    )
    assert report.equity.json() == expected.equity.json() == msgspec.json.encode(list(expected.equity))
    assert report.bars_in_market == expected.bars_in_market
    assert report.trades.closed == expected.trades.closed
    assert report.digest.hexdigest() == expected.digest.hexdigest()
    assert report.last_close == expected.last_close


TIGHT = RiskLimits(
    max_trade_pct=Decimal(50),
    max_strategy_exposure_pct=Decimal(60),
    max_price_jump_pct=Decimal(2),
    drawdown_warning_pct=Decimal("0.5"),
    drawdown_halt_pct=Decimal(1),
    drawdown_emergency_pct=Decimal(2),
    daily_loss_warning_pct=Decimal("0.5"),
    daily_loss_halt_pct=Decimal(1),
    strategy_drawdown_halt_pct=Decimal("1.5"),
    adaptive_window=3,
)
"""Limits a random market trips: price jumps refused, breakers up to EMERGENCY (a flatten)."""
TIGHT_FIXED = msgspec.structs.replace(TIGHT, adaptive_window=0)
"""The same without adaptive thresholds: quiet stretches are screened and taken in bulk."""
RISK = st.sampled_from(
    [None, RiskLimits(max_trade_pct=Decimal(50), max_strategy_exposure_pct=Decimal(60)), TIGHT, TIGHT_FIXED]
)


@settings(max_examples=150, deadline=None)
@given(
    MOVES,
    PARAMS,
    COSTS,
    EXITS,
    st.booleans(),
    RISK,
    st.integers(1, 60),
    st.integers(1, 50),
    st.booleans(),
    st.lists(st.integers(0, 200), max_size=6),
)
def test_scanning_quiet_bars_changes_nothing(
    moves: list[int],
    params: tuple[int, int],
    costs: tuple[str, str],
    exits: dict[str, Decimal],
    close_at_end: bool,
    limits: RiskLimits | None,
    page_size: int,
    batch_size: int,
    read_back: bool,
    refused_at: list[int],
) -> None:
    cfg = generated_config(params, costs, exits, close_at_end, limits)
    codec = EventCodec()
    inputs: list[Input] = list(
        BarsFromRows(Source("test", "digest", bar_rows(rows_from(moves))), cfg.venue, cfg.symbol)
    )
    if read_back:  # as a backtest reads them from a log: StoredBar, with their bytes
        states = [codec.encode(event) for event, _ in inputs]
        inputs = list(zip(codec.decode_many(Bar.TOPIC, states, StoredBar), states, strict=True))
    for number, position in enumerate(sorted(refused_at, reverse=True)):  # rows refused on the way in
        refused = rejected_row(1_000 + number)
        inputs.insert(min(position, len(inputs)), (refused, codec.encode(refused) if read_back else None))

    one_by_one = run(inputs, cfg, page_size, batch_size, scan=False)
    scanned = run(inputs, cfg, page_size, batch_size, scan=True)
    assert_the_same_run(scanned, one_by_one)


@settings(max_examples=150, deadline=None)
@given(
    MOVES, PARAMS, COSTS, EXITS, st.booleans(), RISK, st.integers(1, 60), st.integers(1, 50), st.booleans()
)
def test_scanning_closes_and_recording_bars_by_reference_changes_nothing(
    moves: list[int],
    params: tuple[int, int],
    costs: tuple[str, str],
    exits: dict[str, Decimal],
    close_at_end: bool,
    limits: RiskLimits | None,
    page_size: int,
    batch_size: int,
    columns: bool,
) -> None:
    """Pages of closes, read as columns or decoded (whole bars decoded only where asked; with the
    risk engine, every bar) and bars recorded by their source id give the log and report of
    whole bars one at a time."""
    cfg = generated_config(params, costs, exits, close_at_end, limits)
    codec = EventCodec()
    bars = list(BarsFromRows(Source("test", "digest", bar_rows(rows_from(moves))), cfg.venue, cfg.symbol))
    states = [codec.encode(event) for event, _ in bars]
    whole: list[Input] = list(zip(codec.decode_many(Bar.TOPIC, states, StoredBar), states, strict=True))
    pages, source = closes_pages(whole, page_size, columns)

    one_by_one = run(whole, cfg, page_size, batch_size, scan=False)
    scanned = run(pages, cfg, page_size, batch_size, scan=True, source=source)
    assert_the_same_run(scanned, one_by_one)


def test_a_scan_really_runs_and_stops_at_each_signal() -> None:
    """The scans are taken (not silently skipped): a quiet series goes through in few calls."""
    cfg = config(params=(("fast", "2"), ("size", "1"), ("slow", "3")))
    moves = [3, 3, 3, -3, -3, -3] * 20
    inputs: list[Input] = list(
        BarsFromRows(Source("test", "digest", bar_rows(rows_from(moves))), cfg.venue, cfg.symbol)
    )
    session = cfg.session("test", "test-version")
    venue = SimulatedVenue(session.venue, session.originator_id, session.fee_rate, session.slippage_bps)
    with open_ledger(load_settings({}, store="memory")) as store:
        runner = SessionRunner(store.log, EventCodec(), session, venue, ReportObserver())
        calls: list[tuple[int, int]] = []
        advance = runner.engine.advance

        def counting(run, start, stop):  # type: ignore[no-untyped-def]
            end, decisions = advance(run, start, stop)
            calls.append((end - start, len(decisions)))
            return end, decisions

        runner.engine.advance = counting  # type: ignore[method-assign]
        runner.run_pages([inputs])
    scanned = sum(count for count, _ in calls)
    signals = sum(1 for _, decided in calls if decided)
    assert signals >= 10, "the series crosses often"
    assert scanned >= len(inputs) - 2 * signals, "every bar but the fills' went through a scan"
    assert len(calls) <= 2 * signals + 2, "one scan per quiet stretch, not one per bar"


def test_the_full_risk_engine_takes_quiet_stretches_in_bulk_and_stops_at_what_it_must_see() -> None:
    """Without adaptive thresholds the risk engine vouches for quiet stretches (absorbed in bulk,
    new highs included), and still records what one bar at a time records."""
    cfg = config(params=(("fast", "2"), ("size", "3"), ("slow", "4")), limits=TIGHT_FIXED)
    moves = [4, -1, 3, -30, 2, 2, -3, 5, 30, -2, -4, 1, 3, -5, 6, -30, 30, 2, -2, 1, 1, 1, 2, 1] * 6
    inputs: list[Input] = list(
        BarsFromRows(Source("test", "digest", bar_rows(rows_from(moves))), cfg.venue, cfg.symbol)
    )
    absorbed: list[int] = []
    original = FullRisk.absorb

    def counting(self: FullRisk, run: object, start: int, stop: int) -> None:
        absorbed.append(stop - start)
        original(self, run, start, stop)  # type: ignore[arg-type]

    FullRisk.absorb = counting  # type: ignore[method-assign]
    try:
        scanned = run(inputs, cfg, 50, 40, scan=True)
    finally:
        FullRisk.absorb = original  # type: ignore[method-assign]
    one_by_one = run(inputs, cfg, 50, 40, scan=False)
    topics = [topic for topic, _ in scanned[0]]
    assert "risk.MarketData.Refused" in topics and "risk.Breaker.Changed" in topics
    assert sum(absorbed) >= 15 and max(absorbed) >= 3, "quiet stretches were taken in bulk"
    assert_the_same_run(scanned, one_by_one)


def test_scans_with_the_full_risk_engine_stop_at_refusals_and_breaker_changes() -> None:
    """Guarded scans meet what the risk engine does on a bar (a refused price, a breaker's change)
    and still record exactly what one bar at a time does."""
    cfg = config(params=(("fast", "2"), ("size", "3"), ("slow", "4")), limits=TIGHT)
    moves = [4, -1, 3, -30, 2, 2, -3, 5, 30, -2, -4, 1, 3, -5, 6, -30, 30, 2, -2, 1] * 6
    inputs: list[Input] = list(
        BarsFromRows(Source("test", "digest", bar_rows(rows_from(moves))), cfg.venue, cfg.symbol)
    )
    one_by_one = run(inputs, cfg, 50, 40, scan=False)
    scanned = run(inputs, cfg, 50, 40, scan=True)
    topics = [topic for topic, _ in scanned[0]]
    assert "risk.MarketData.Refused" in topics and "risk.Breaker.Changed" in topics
    assert scanned[0] == one_by_one[0] and scanned[1] == one_by_one[1]
    assert scanned[2].digest.hexdigest() == one_by_one[2].digest.hexdigest()
    assert [str(e) for e in scanned[2].equity] == [str(e) for e in one_by_one[2].equity]
