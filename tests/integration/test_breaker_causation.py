"""'Why did this breaker trip, and what did it then do', answered from the log, where the answer is known.

The hand-worked scenario of test_state_at run twice over (cash 200, size 10): bought 10 at
420 s's open 11.5; 480 s (equity 205, 4.65% below the 215 peak) is WARNING; 540 s (close 10,
equity 185, 13.95% below) is EMERGENCY for the account and HALTED for the strategy; the
position is flattened at 600 s's open 10.5; the buys signalled at 720 s and 1080 s are denied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from application.audit.breaker_causation import BreakerStory, explain_breaker
from application.backtest import BacktestConfig, BarsFromRows, run_backtest
from application.engine.bar_pages import Input
from application.engine.session import SessionRunner
from application.ingest import Source
from domain.events import (
    Bar,
    BreakerChanged,
    OperatorCommand,
    OrderDenied,
    OrderSubmitted,
    SessionStarted,
    SignalGenerated,
    VenueOrderFilled,
    VenueOrderRejected,
)
from domain.ids import Symbol, Venue, derive_id
from domain.market.values import format_timestamp
from infrastructure.bootstrap import LedgerStore
from infrastructure.scenarios import EXPOSED, SCENARIOS, START_NS, rows
from infrastructure.store.codec import EventCodec
from infrastructure.venues.simulated import SimulatedVenue
from tests.engine_helpers import bar_rows, config, run
from tests.integration.test_backtest_by_hand import series
from tests.integration.test_state_at import LIMITS

T0 = 1_700_000_000 * 10**9
S = 10**9


def changes(store: LedgerStore) -> dict[tuple[str, str], int]:
    """(scope, state after) -> notification id of the first such change."""
    found: dict[tuple[str, str], int] = {}
    for page in store.log.read():
        for r in page:
            if isinstance(r.event, BreakerChanged):
                found.setdefault((r.event.scope, r.event.after), r.notification_id)
    return found


def hand_worked(store: LedgerStore) -> dict[tuple[str, str], int]:
    cfg = config(params=(("fast", "2"), ("size", "10"), ("slow", "3")), cash=Decimal(200), limits=LIMITS)
    run(store.log, bar_rows(series() * 2), cfg)
    return changes(store)


def test_the_emergency_is_traced_to_its_bar_and_to_the_flattening_and_denials(store: LedgerStore) -> None:
    story = explain_breaker(store.log, hand_worked(store)[("account", "EMERGENCY")])
    assert story.found and story.change is not None
    change = story.change.event
    assert isinstance(change, BreakerChanged)
    assert (change.before, change.equity, change.high_water) == ("WARNING", Decimal(185), Decimal(215))
    assert "13.95%" in change.reason and "emergency tier 10%" in change.reason
    limits = story.limits_in_force()
    assert limits["version"] == "limits-1" and limits["drawdown_emergency_pct"] == Decimal(10)
    assert story.limits_from is not None and isinstance(story.limits_from.event, SessionStarted)

    assert story.trigger is not None and isinstance(story.trigger.event, Bar)
    assert (story.trigger.event.ts_event, story.trigger.event.close) == (T0 + 540 * S, Decimal(10))
    assert story.trigger.notification_id < story.change.notification_id

    [order, fill] = [r.event for r in story.flattened]
    assert isinstance(order, OrderSubmitted) and (order.purpose, order.side, order.quantity) == (
        "flatten",
        "sell",
        Decimal(10),
    )
    assert isinstance(fill, VenueOrderFilled) and (fill.ts_event, fill.price) == (
        T0 + 600 * S,
        Decimal("10.5"),
    )
    denied = [r.event for r in story.denied]
    assert [(d.ts_event, d.reason) for d in denied if isinstance(d, OrderDenied)] == [
        (T0 + 720 * S, "halted"),
        (T0 + 1080 * S, "halted"),
    ]
    assert story.next_change is None and story.window == []


def test_the_warning_denies_nothing_and_ends_at_the_emergency(store: LedgerStore) -> None:
    ids = hand_worked(store)
    story = explain_breaker(store.log, ids[("account", "WARNING")])
    assert story.trigger is not None and story.trigger.event.ts_event == T0 + 480 * S  # type: ignore[attr-defined]
    assert story.denied == [] and story.flattened == []
    assert (
        story.next_change is not None and story.next_change.notification_id == ids[("account", "EMERGENCY")]
    )


def test_the_strategy_halt_shows_the_strategys_own_limit_and_its_denials(store: LedgerStore) -> None:
    story = explain_breaker(store.log, hand_worked(store)[("sma_cross:TEST/USD", "HALTED")])
    assert story.limits_in_force()["strategy_drawdown_halt_pct"] == Decimal(8)
    assert "drawdown_emergency_pct" not in story.limits_in_force()
    assert len(story.denied) == 2 and story.flattened == []  # the account flattened, not this breaker


def test_not_a_breaker_change_is_said_so(store: LedgerStore) -> None:
    hand_worked(store)
    assert explain_breaker(store.log, 2).topic == "market.Bar" and not explain_breaker(store.log, 2).found
    assert explain_breaker(store.log, 10**9).topic is None


def with_commands(bars: BarsFromRows, commands: dict[int, OperatorCommand]) -> Iterator[Input]:
    for bar, stored in bars:
        yield bar, stored
        if isinstance(bar, Bar) and bar.ts_event in commands:
            yield commands[bar.ts_event], None


def command(version: int, what: str, at_s: int) -> OperatorCommand:
    return OperatorCommand(
        originator_id=derive_id("operator-commands"),
        originator_version=version,
        command=what,  # type: ignore[arg-type]
        scope="account",
        issued_by="alice",
        reason=f"{what} for the test",
        ts_event=T0 + at_s * S,
    )


def test_an_operator_halt_is_traced_to_the_command_and_ends_at_the_resume(store: LedgerStore) -> None:
    cfg = config(limits=LIMITS)  # cash 1000, size 1: no tier is ever reached (0.3% at worst)
    session = cfg.session("test", "test-version")
    bars = BarsFromRows(Source("t", "d", bar_rows(series())), cfg.venue, cfg.symbol)
    halt, resume = command(1, "halt", 120), command(2, "resume", 420)
    venue = SimulatedVenue(session.venue, session.originator_id, session.fee_rate, session.slippage_bps)
    SessionRunner(store.log, EventCodec(), session, venue).run(
        with_commands(bars, {halt.ts_event: halt, resume.ts_event: resume})
    )
    ids = changes(store)
    story = explain_breaker(store.log, ids[("account", "HALTED")])
    assert story.trigger is not None and story.trigger.event == halt
    assert story.change is not None and "halt by alice" in story.change.event.reason  # type: ignore[attr-defined]
    [denied] = [r.event for r in story.denied]
    assert isinstance(denied, OrderDenied) and (denied.side, denied.ts_event) == ("buy", T0 + 360 * S)
    assert story.next_change is not None
    resumed = explain_breaker(store.log, story.next_change.notification_id)
    assert resumed.trigger is not None and resumed.trigger.event == resume


def scenario_log(store: LedgerStore, name: str) -> dict[tuple[str, str], int]:
    scenario = SCENARIOS[name]
    cfg = BacktestConfig(
        symbol=Symbol("STRESS/USD"),
        venue=Venue("sim"),
        strategy=scenario.strategy,
        params=scenario.params,
        cash=Decimal(10_000),
        limits=EXPOSED,
    )
    run_backtest(
        store.log,
        EventCodec(),
        cfg,
        BarsFromRows(Source(name, name, iter(rows(scenario))), cfg.venue, cfg.symbol),
        name,
        "scenario",
        lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps, scenario.faults),
    )
    return changes(store)


def test_flash_crash_emergency_is_the_minus_15_percent_bar_and_flattens_at_the_next_open(
    store: LedgerStore,
) -> None:
    story = explain_breaker(store.log, scenario_log(store, "flash_crash")[("account", "EMERGENCY")])
    assert story.trigger is not None and isinstance(story.trigger.event, Bar)
    bar = story.trigger.event
    assert format_timestamp(bar.ts_event) == "2024-01-01T10:00:00+00:00"
    assert bar.close < Decimal("0.9")  # from about 1.0: the -15% minute
    assert story.change is not None and "emergency tier 10%" in story.change.event.reason  # type: ignore[attr-defined]
    fills = [r.event for r in story.flattened if isinstance(r.event, VenueOrderFilled)]
    assert [format_timestamp(f.ts_event) for f in fills] == ["2024-01-01T10:01:00+00:00"]


def test_an_execution_breaker_names_the_rejection_and_the_window_it_judged(store: LedgerStore) -> None:
    ids = scenario_log(store, "venue_error_storm")
    story = explain_breaker(store.log, ids[("execution:sim", "OPEN")])
    assert story.trigger is not None and isinstance(story.trigger.event, VenueOrderRejected)
    assert story.change is not None and isinstance(story.change.event, BreakerChanged)
    judged = re.search(r"over the last (\d+) orders", story.change.event.reason)
    assert judged is not None and len(story.window) + 1 == int(judged.group(1))
    rejected = sum(isinstance(r.event, VenueOrderRejected) for r in [*story.window, story.trigger])
    assert Decimal(rejected * 100) / int(judged.group(1)) > EXPOSED.max_venue_error_pct
    assert all(r.notification_id < story.trigger.notification_id for r in story.window)
    assert story.denied and all(
        isinstance(r.event, OrderDenied) and r.event.reason == "execution_quality" for r in story.denied
    )
    assert story.limits_in_force()["max_venue_error_pct"] == Decimal(20)
    assert story.next_change is not None
    assert all(r.notification_id < story.next_change.notification_id for r in story.denied)

    cooled: BreakerStory = explain_breaker(store.log, story.next_change.notification_id)
    assert cooled.previous is not None and cooled.previous.notification_id == story.change.notification_id
    assert cooled.signal is not None and isinstance(cooled.signal.event, SignalGenerated)
    assert cooled.trigger is not None and isinstance(cooled.trigger.event, Bar)
    assert cooled.trigger.event.originator_version == cooled.signal.event.cause.version
    assert cooled.trigger.event.ts_event > START_NS
