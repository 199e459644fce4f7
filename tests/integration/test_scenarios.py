"""The stress scenarios are tests too: which breakers trip, in what order, and what they save."""

from __future__ import annotations

from decimal import Decimal

from domain.market.values import format_timestamp
from infrastructure.scenarios import run


def trips(result: object) -> list[tuple[str, str, str]]:
    return [(b["scope"].split(":")[0], b["from"], b["to"]) for b in result.with_breakers.breakers]  # type: ignore[attr-defined]


def test_flash_crash_trips_the_emergency_tier_and_flattening_saves_money() -> None:
    result = run("flash_crash")
    assert trips(result)[0] == ("account", "ACTIVE", "EMERGENCY")
    assert result.with_breakers.breakers[0]["time"] == "2024-01-01T10:00:00+00:00"
    [trade] = result.with_breakers.trades
    assert trade.exit_time is not None
    assert format_timestamp(trade.exit_time) == "2024-01-01T10:01:00+00:00"  # flattened at the next open
    assert result.without_breakers.trades == []  # held through the whole cascade
    assert result.saved > Decimal(400)


def test_slow_bleed_walks_up_the_tiers_then_flattens() -> None:
    result = run("slow_bleed")
    account = [(b, a) for scope, b, a in trips(result) if scope == "account"]
    assert account == [
        ("ACTIVE", "WARNING"),
        ("WARNING", "REDUCING"),
        ("REDUCING", "HALTED"),
        ("HALTED", "EMERGENCY"),
    ]
    assert result.saved > 0


def test_stop_gap_fills_at_the_gapped_open_far_through_the_stop() -> None:
    result = run("stop_gap")
    [stopped] = result.without_breakers.trades
    level = stopped.entry_price * Decimal("0.95")
    assert stopped.exit_price is not None and stopped.exit_price < level * Decimal("0.9")
    assert result.saved == 0  # the stop and the breaker sell at the same gapped open


def test_scenarios_are_deterministic() -> None:
    assert run("flash_crash").with_breakers.digest == run("flash_crash").with_breakers.digest


def test_venue_error_storm_opens_the_execution_breaker_and_sends_fewer_orders() -> None:
    result = run("venue_error_storm")
    first = result.with_breakers.breakers[0]
    assert (first["scope"], first["from"], first["to"]) == ("execution:sim", "CLOSED", "OPEN")
    assert "venue error rate" in first["reason"]
    assert result.with_breakers.denials.get("execution_quality", 0) > 0
    assert result.with_breakers.stats["orders_sent"] < result.without_breakers.stats["orders_sent"]


def test_latency_spike_opens_the_execution_breaker_on_latency() -> None:
    result = run("latency_spike")
    first = result.with_breakers.breakers[0]
    assert first["to"] == "OPEN" and "acknowledgement latency" in first["reason"]
    assert any(b["to"] == "HALF_OPEN" for b in result.with_breakers.breakers)
    assert result.with_breakers.breakers[-1]["to"] == "CLOSED"


def test_stale_feed_bars_are_refused_and_never_traded_on() -> None:
    result = run("stale_feed")
    assert result.with_breakers.stats["market_data_refused"] == {"stale": 120}
    assert result.without_breakers.stats["market_data_refused"] == {}


def test_a_crash_beyond_the_guards_band_halts_at_the_refused_print_and_flattens_once_confirmed() -> None:
    result = run("crash_beyond_band")
    first, *rest = result.with_breakers.breakers
    assert (first["scope"], first["from"], first["to"]) == ("account", "ACTIVE", "HALTED")
    assert first["time"] == "2024-01-01T05:00:00+00:00"  # the crash's own minute, refused
    assert first["reason"].startswith("unconfirmed_price: drawdown 15.")
    emergency = next(b for b in rest if b["scope"] == "account")
    assert (emergency["from"], emergency["to"], emergency["time"]) == (
        "HALTED",
        "EMERGENCY",
        "2024-01-01T05:01:00+00:00",  # the next print confirms the level: one minute, not three
    )
    [trade] = result.with_breakers.trades
    assert trade.exit_time is not None and format_timestamp(trade.exit_time) == "2024-01-01T05:02:00+00:00"
    assert result.with_breakers.stats["market_data_refused"] == {"price_deviation": 1}
