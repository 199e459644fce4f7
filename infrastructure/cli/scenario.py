"""``memesnipe scenario list`` and ``memesnipe scenario run NAME``: stress the risk engine."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from infrastructure.cli.context import console, reports_errors
from infrastructure.errors import ConfigError
from infrastructure.scenarios import SCENARIOS, run

app = typer.Typer(help="Stress scenarios through the real engine, breakers on and off.")


@app.command("list")
def list_scenarios() -> None:
    """The scenarios and what each models."""
    for scenario in SCENARIOS.values():
        console.print(f"[bold]{scenario.name}[/]: {scenario.description}", highlight=False)


@app.command("run")
@reports_errors
def run_scenario(
    name: Annotated[str, typer.Argument(help="A scenario from `memesnipe scenario list`.")],
    seed: Annotated[int, typer.Option(help="Seed of the market's noise.")] = 11,
) -> None:
    """Run one scenario with the breakers and without; print the trips and the P&L saved."""
    if name not in SCENARIOS:
        raise ConfigError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    result = run(name, seed)
    console.print(f"[bold]{name}[/]: {result.scenario.description}", highlight=False)
    params = ", ".join(f"{k}={v}" for k, v in result.scenario.params)
    console.print(
        f"traded by {result.scenario.strategy} ({params}) with 10,000 cash; default breakers",
        highlight=False,
    )
    for change in result.with_breakers.breakers:
        console.print(
            f"  {change['time']} {change['scope']}: {change['from']} -> {change['to']}: {change['reason']}",
            highlight=False,
        )
    if not result.with_breakers.breakers:
        console.print("  no breaker tripped")
    trades = result.with_breakers.trades
    if result.scenario.stop_loss_pct is not None:
        stopped = result.without_breakers.trades
        if stopped and stopped[0].exit_price is not None:
            level = stopped[0].entry_price * (1 - result.scenario.stop_loss_pct / 100)
            console.print(
                f"  stop level {level:.8f}, filled at {stopped[0].exit_price:.8f} "
                f"({(stopped[0].exit_price / level - 1) * 100:.2f}% through the stop)",
                highlight=False,
            )
    refused = result.with_breakers.stats["market_data_refused"]
    if refused:
        console.print(f"  market data refused (strategies never saw it): {refused}", highlight=False)
    if result.scenario.faults is not None:
        for label, report in (("with", result.with_breakers), ("without", result.without_breakers)):
            console.print(
                f"  orders sent to the venue {label} breakers: {report.stats['orders_sent']:,}; "
                f"denied before sending: {sum(report.denials.values()):,} {report.denials}",
                highlight=False,
            )
    on = Decimal(result.with_breakers.stats["final_equity"])
    off = Decimal(result.without_breakers.stats["final_equity"])
    console.print(
        f"  final equity with breakers {on:,.2f}, without {off:,.2f}: "
        f"saved {result.saved:,.2f} ({len(trades)} round trips with breakers)",
        highlight=False,
    )
