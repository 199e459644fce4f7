"""Building sessions and bar series for engine tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from application.backtest import BacktestConfig, BacktestReport, BarsFromRows, run_backtest
from application.ingest import Source, SourceRow
from application.ports import EventLog
from domain.ids import Symbol, Venue
from domain.risk.limits import RiskLimits
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


def generated_config(
    params: tuple[int, int],
    costs: tuple[str, str],
    exits: dict[str, Decimal],
    close_at_end: bool,
    limits: RiskLimits | None,
) -> BacktestConfig:
    """A session from generated parts: sma_cross fast/slow, fee and slippage bps, exits, limits."""
    fast, slow = params
    return config(
        params=(("fast", str(fast)), ("size", "3"), ("slow", str(slow))),
        fee_bps=Decimal(costs[0]),
        slippage_bps=Decimal(costs[1]),
        close_at_end=close_at_end,
        limits=limits,
        **exits,
    )


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
