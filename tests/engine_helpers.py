"""Building sessions and bar series for engine tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from application.backtest import BacktestConfig, BacktestReport, BarsFromRows, run_backtest
from application.ingest import Source, SourceRow
from application.ports import EventLog
from domain.ids import Symbol, Venue
from infrastructure.store.codec import EventCodec
from infrastructure.venues.simulated import SimulatedVenue

MINUTE = 60


def bar_rows(opens_closes: Sequence[tuple[str, str]], start: int = 1_700_000_000) -> list[SourceRow]:
    """Rows of valid bars: high/low half a unit beyond open and close."""
    rows = []
    for index, (open_, close) in enumerate(opens_closes):
        o, c = Decimal(open_), Decimal(close)
        fields = (
            str(start + index * MINUTE),
            str(o),
            str(max(o, c) + Decimal("0.5")),
            str(min(o, c) - Decimal("0.5")),
            str(c),
            "100",
        )
        rows.append(SourceRow(index + 1, fields, ",".join(fields)))
    return rows


def config(**overrides: object) -> BacktestConfig:
    values: dict[str, object] = dict(
        symbol=Symbol("TEST/USD"),
        venue=Venue("sim"),
        strategy="sma_cross",
        params=(("fast", "2"), ("size", "1"), ("slow", "3")),
        cash=Decimal(1000),
    )
    values.update(overrides)
    return BacktestConfig(**values)  # type: ignore[arg-type]


def run(log: EventLog, rows: list[SourceRow], cfg: BacktestConfig | None = None) -> BacktestReport:
    cfg = cfg or config()
    inputs = BarsFromRows(Source("test", "digest", rows), cfg.venue, cfg.symbol)
    return run_backtest(
        log,
        EventCodec(),
        cfg,
        inputs,
        "test",
        "test-version",
        lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps),
    )
