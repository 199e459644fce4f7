"""Stress scenarios: shaped synthetic markets run through the real engine, breakers on and off.

Each scenario trades through an event (most hold a large long position: buy and hold
with the caps loosened so the account is exposed; the venue scenarios trade a short-term
strategy), runs once with the product's breakers and once with breakers that never trip,
and reports which breakers tripped, when, and the P&L the breakers saved (negative when
they cost money: a breaker sells into a crash that later recovers; each scenario says
which path it models).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from application.backtest import BacktestConfig, BacktestReport, BarsFromRows, run_backtest
from application.engine.bar_pages import Input
from application.engine.session import pages_of
from application.ingest import Source, SourceRow
from domain.events import Bar
from domain.ids import Symbol, Venue
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings
from infrastructure.store.codec import EventCodec
from infrastructure.venues.simulated import SimulatedVenue, VenueFaults

MINUTE_NS = 60_000_000_000
STALE_LAG_NS = 5_000_000_000
START_NS = 1_704_067_200_000_000_000
EXPOSED = RiskLimits(max_trade_pct=Decimal(100), max_strategy_exposure_pct=Decimal(100))


def tiers_off(limits: RiskLimits) -> RiskLimits:
    """The same caps with breakers that cannot trip (losses never reach 100%, no venue is that bad)."""
    return msgspec.structs.replace(
        limits,
        drawdown_warning_pct=Decimal("99.7"),
        drawdown_halt_pct=Decimal("99.8"),
        drawdown_emergency_pct=Decimal("99.9"),
        daily_loss_warning_pct=Decimal("99.8"),
        daily_loss_halt_pct=Decimal("99.9"),
        strategy_drawdown_halt_pct=Decimal("99.9"),
        max_venue_error_pct=Decimal(100),
        max_ack_latency_ns=10**18,
        max_slippage_bps=Decimal(10**6),
        max_slippage_hard_bps=Decimal(10**6),
        max_data_age_ns=10**18,
        max_price_jump_pct=Decimal(10**6),
        min_liquidity_usd=Decimal(0),
    )


@dataclass(frozen=True)
class Scenario:
    """A market path (log returns per minute, or absolute jumps), how it is traded, venue trouble."""

    name: str
    description: str
    path: Callable[[random.Random], Iterator[tuple[float, float]]]
    stop_loss_pct: Decimal | None = None
    strategy: str = "buy_and_hold"
    params: tuple[tuple[str, str], ...] = (("size", "9000"),)
    faults: VenueFaults | None = None
    stale_from_minute: int = 0
    stale_to_minute: int = 0
    """Bars in this span reach us ``STALE_LAG_NS`` after they happened (a lagging feed)."""


def _calm(rng: random.Random, minutes: int, drift: float = 0.0) -> Iterator[tuple[float, float]]:
    for _ in range(minutes):
        yield drift + rng.gauss(0, 0.0008), 0.0


def _flash_crash(rng: random.Random) -> Iterator[tuple[float, float]]:
    yield from _calm(rng, 600)
    yield 0.0, math.log(0.85)  # -15% within one minute
    yield from _calm(rng, 240, drift=-0.0004)  # the cascade goes on for four hours (about -9%)
    yield from _calm(rng, 600)


def _slow_bleed(rng: random.Random) -> Iterator[tuple[float, float]]:
    yield from _calm(rng, 120)
    yield from _calm(rng, 3 * 1440, drift=-0.00005)  # about -7% a day, three days


def _falling_while_stale(rng: random.Random) -> Iterator[tuple[float, float]]:
    yield from _choppy(rng, 300)
    yield from _calm(rng, 120, drift=-0.0007)  # about -8% while the feed lags
    yield from _choppy(rng, 600)


def _choppy(rng: random.Random, minutes: int = 1440) -> Iterator[tuple[float, float]]:
    for minute in range(minutes):
        yield 0.0008 * math.sin(minute / 9.0) + rng.gauss(0, 0.0015), 0.0


def _stop_gap(rng: random.Random) -> Iterator[tuple[float, float]]:
    yield from _calm(rng, 300)
    yield 0.0, math.log(0.80)  # the next bar opens 20% lower: through the 5% stop
    yield from _calm(rng, 300)


def _crash_beyond_band(rng: random.Random) -> Iterator[tuple[float, float]]:
    yield from _calm(rng, 300)
    yield 0.0, math.log(0.70)  # -30% within one minute: past the guards' 25% band
    yield from _calm(rng, 300)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "flash_crash",
            "-15% within one minute, then the liquidation cascade takes ~9% more "
            "over four hours before the market calms",
            _flash_crash,
        ),
        Scenario(
            "crash_beyond_band",
            "-30% within one minute, past the market-data guards' 25% band, holding a position worth "
            "half the equity: the refused price halts new exposure at once, the next print confirms "
            "it and the emergency tier flattens",
            _crash_beyond_band,
            params=(("size", "5000"),),
        ),
        Scenario(
            "slow_bleed",
            "a steady decline of ~7% a day for three days: daily-loss tiers, then the drawdown tiers",
            _slow_bleed,
        ),
        Scenario(
            "stop_gap",
            "a 5% stop loss and a bar that opens 20% lower: the stop fills at the "
            "gapped open, not at its level",
            _stop_gap,
            stop_loss_pct=Decimal(5),
        ),
        Scenario(
            "stale_feed",
            "the feed lags 5 s behind for two hours while the price falls ~8%: stale bars are refused",
            _falling_while_stale,
            strategy="sma_cross",
            params=(("fast", "2"), ("size", "1000"), ("slow", "3")),
            stale_from_minute=300,
            stale_to_minute=420,
        ),
        Scenario(
            "venue_error_storm",
            "the venue rejects every order for five hours while a short-term strategy keeps trading "
            "a choppy market",
            _choppy,
            strategy="sma_cross",
            params=(("fast", "2"), ("size", "1000"), ("slow", "3")),
            faults=VenueFaults(
                reject_from_ns=START_NS + 300 * MINUTE_NS, reject_to_ns=START_NS + 600 * MINUTE_NS
            ),
        ),
        Scenario(
            "latency_spike",
            "for five hours the venue acknowledges and fills orders 3 minutes late while a "
            "short-term strategy trades a choppy market",
            _choppy,
            strategy="sma_cross",
            params=(("fast", "2"), ("size", "1000"), ("slow", "3")),
            faults=VenueFaults(
                slow_from_ns=START_NS + 300 * MINUTE_NS,
                slow_to_ns=START_NS + 600 * MINUTE_NS,
                latency_ns=3 * MINUTE_NS,
            ),
        ),
    )
}


def rows(scenario: Scenario, seed: int = 11) -> list[SourceRow]:
    """The scenario's one-minute bars (deterministic for a seed)."""
    rng = random.Random(seed)  # noqa: S311 -- seeded on purpose
    price, out = 1.0, []
    for index, (log_return, gap) in enumerate(scenario.path(rng)):
        open_ = price * math.exp(gap)
        close = open_ * math.exp(log_return)
        high, low = max(open_, close) * 1.0004, min(open_, close) * 0.9996
        ts = START_NS + index * MINUTE_NS
        fields = (str(ts), *(f"{p:.8f}" for p in (open_, high, low, close)), "1000000")
        fields = (
            fields[0],
            fields[1],
            max(fields[2], fields[1], fields[4], key=float),
            min(fields[3], fields[1], fields[4], key=float),
            fields[4],
            fields[5],
        )
        out.append(SourceRow(index + 1, fields, ",".join(fields)))
        price = close
    return out


@dataclass(frozen=True)
class ScenarioResult:
    """What a scenario showed: the breaker trips and the P&L with and without breakers."""

    scenario: Scenario
    with_breakers: BacktestReport
    without_breakers: BacktestReport

    @property
    def saved(self) -> Decimal:
        """Final equity with breakers minus without (positive: the breakers saved money)."""
        return Decimal(self.with_breakers.stats["final_equity"]) - Decimal(
            self.without_breakers.stats["final_equity"]
        )


class LaggingFeed:
    """The scenario's bars, those in its stale span received late."""

    def __init__(self, scenario: Scenario, bars: BarsFromRows) -> None:
        self.bars = bars
        self.stale_from = START_NS + scenario.stale_from_minute * MINUTE_NS
        self.stale_to = START_NS + scenario.stale_to_minute * MINUTE_NS

    def __iter__(self) -> Iterator[Input]:
        for event, stored in self.bars:
            if isinstance(event, Bar) and self.stale_from <= event.ts_event < self.stale_to:
                yield msgspec.structs.replace(event, ts_recv=event.ts_event + STALE_LAG_NS), None
            else:
                yield event, stored

    def pages(self) -> Iterator[Sequence[Input]]:
        """The inputs in pages."""
        return pages_of(self)

    def description(self) -> dict[str, object]:
        return self.bars.description()


def run(name: str, seed: int = 11) -> ScenarioResult:
    """Run one scenario twice, in memory, through the real engine and simulated venue."""
    scenario = SCENARIOS[name]
    bars = rows(scenario, seed)
    base = BacktestConfig(
        symbol=Symbol("STRESS/USD"),
        venue=Venue("sim"),
        strategy=scenario.strategy,
        params=scenario.params,
        cash=Decimal(10_000),
        stop_loss_pct=scenario.stop_loss_pct,
        limits=EXPOSED,
    )
    reports = []
    for limits in (EXPOSED, tiers_off(EXPOSED)):
        config = dataclasses.replace(base, limits=limits)
        with open_ledger(load_settings({}, store="memory")) as store:
            inputs = LaggingFeed(
                scenario,
                BarsFromRows(
                    Source(name, f"scenario:{name}:{seed}", iter(bars)), config.venue, config.symbol
                ),
            )
            reports.append(
                run_backtest(
                    store.log,
                    EventCodec(),
                    config,
                    inputs,
                    f"scenario {name}",
                    "scenario",
                    lambda s: SimulatedVenue(
                        s.venue, s.originator_id, s.fee_rate, s.slippage_bps, scenario.faults
                    ),
                )
            )
    return ScenarioResult(scenario, reports[0], reports[1])
