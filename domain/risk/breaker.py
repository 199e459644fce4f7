"""A circuit breaker: trading states as a table, tiers that stick, gradual recovery.

States by severity: ACTIVE < WARNING < REDUCING < HALTED < EMERGENCY.
- ACTIVE: normal (size caps may still be ramping back after a reset).
- WARNING: orders pass; the breaker is watching.
- REDUCING: only orders that reduce exposure pass.
- HALTED: no new orders; cancels pass.
- EMERGENCY: cancel everything and flatten every position.
Measured breaches only ever raise the state; the worst tier reached is the
breaker's floor until a recorded reset (operator, or the daily-loss cool-down
at the next day boundary). After a reset, size caps ramp back in steps, each
after a clean interval; a breach during the ramp trips the breaker again.

A tier reached only at a refused price (``probe``) stops new exposure at once:
HALTED, its reason starting ``unconfirmed_price``. It flattens nothing: that waits
for a confirmed price, whose own tiers then apply, and which lifts this halt.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple

from domain.errors import DomainError
from domain.risk.limits import RiskLimits


class TradingState(IntEnum):
    """Ordered by severity, so max() is the worse state."""

    ACTIVE = 0
    WARNING = 1
    REDUCING = 2
    HALTED = 3
    EMERGENCY = 4


class Measures(NamedTuple):
    """What a breaker judges by: losses as percentages (positive = a loss)."""

    drawdown_pct: Decimal
    daily_loss_pct: Decimal


class Transition(NamedTuple):
    """A change of state and why, with the numbers."""

    before: TradingState
    after: TradingState
    reason: str
    measures: Measures


class BreakerError(DomainError):
    """An operator command that does not apply (e.g. resume while not halted)."""


class Breaker:
    """One breaker (the account's, or one strategy's).

    Its state is the worst of three floors: what drawdown has called for since the
    last reset, what the daily loss has called for today, and what an operator
    ordered. Only a reset lowers the first and the last; a new day lowers the second.
    """

    def __init__(self, strategy: bool = False) -> None:
        self.strategy = strategy
        self.state = TradingState.ACTIVE
        self.drawdown_floor = TradingState.ACTIVE
        self.daily_floor = TradingState.ACTIVE
        self.manual_floor = TradingState.ACTIVE
        self.unconfirmed_floor = TradingState.ACTIVE
        """HALTED while a tier was reached at a refused price and no price has confirmed it."""
        self.ramp_step: int | None = None
        self.ramp_since_ns = 0

    def assess(
        self, measures: Measures, limits: RiskLimits, ts_ns: int, confirmed: bool = True
    ) -> Transition | None:
        """Raise the floors to what the measures call for; the state follows. ``confirmed``: no
        refused price is pending, so a halt for an unconfirmed one lifts."""
        lifted = confirmed and self.unconfirmed_floor != TradingState.ACTIVE
        if lifted:
            self.unconfirmed_floor = TradingState.ACTIVE
        if (
            self.ramp_step is None
            and self.state == TradingState.ACTIVE
            and _calm(measures, limits, self.strategy)
        ):
            return None  # the common case, decided in two comparisons
        drawdown_tier, drawdown_why = _drawdown_tier(measures, limits, self.strategy)
        daily_tier, daily_why = (TradingState.ACTIVE, "") if self.strategy else _daily_tier(measures, limits)
        why = drawdown_why if drawdown_tier >= daily_tier else daily_why
        if self.ramp_step is not None and max(drawdown_tier, daily_tier) > TradingState.ACTIVE:
            self.ramp_step = None
            drawdown_tier = max(drawdown_tier, TradingState.HALTED)
            why = f"breach during recovery: {why}"
        self.drawdown_floor = max(self.drawdown_floor, drawdown_tier)
        self.daily_floor = max(self.daily_floor, daily_tier)
        if lifted and not why:
            why = "a confirmed price lifts the halt for an unconfirmed one"
        transition = self._settle(why, measures)
        if transition is None:
            self._advance_ramp(limits, ts_ns)
        return transition

    def probe(self, measures: Measures, limits: RiskLimits) -> Transition | None:
        """A mark at a refused price: a tier it reaches beyond the confirmed floors, if it restricts
        trading (REDUCING or worse), halts new exposure until a price confirms it."""
        drawdown_tier, drawdown_why = _drawdown_tier(measures, limits, self.strategy)
        daily_tier, daily_why = (TradingState.ACTIVE, "") if self.strategy else _daily_tier(measures, limits)
        tier = max(drawdown_tier, daily_tier)
        if tier < TradingState.REDUCING or tier <= max(self.drawdown_floor, self.daily_floor):
            return None
        why = drawdown_why if drawdown_tier >= daily_tier else daily_why
        self.unconfirmed_floor = TradingState.HALTED
        self.ramp_step = None
        return self._settle(
            f"unconfirmed_price: {why} at a refused price; no new exposure until a price confirms it",
            measures,
        )

    @property
    def calm(self) -> bool:
        """ACTIVE and not ramping back: only a fresh breach could change anything."""
        return self.state == TradingState.ACTIVE and self.ramp_step is None

    def size_cap_pct(self, limits: RiskLimits) -> Decimal:
        """Percentage of normal size currently allowed (100 unless ramping back)."""
        if self.ramp_step is None:
            return Decimal(100)
        return limits.recovery_steps_pct[self.ramp_step]

    def halt(self, why: str, measures: Measures) -> Transition | None:
        """Operator halt: HALTED at least, until a reset."""
        self.manual_floor = max(self.manual_floor, TradingState.HALTED)
        self.ramp_step = None
        return self._settle(why, measures)

    def flatten(self, why: str, measures: Measures) -> Transition | None:
        """Operator flatten: EMERGENCY (cancel all, flatten all) until a reset."""
        self.manual_floor = TradingState.EMERGENCY
        self.ramp_step = None
        return self._settle(why, measures)

    def reset(self, why: str, measures: Measures, ts_ns: int) -> Transition | None:
        """A recorded reset: every floor cleared, size caps ramping back from the first step."""
        if self.state == TradingState.ACTIVE and self.ramp_step is None:
            raise BreakerError("the breaker is ACTIVE and not recovering; there is nothing to reset")
        self.drawdown_floor = self.daily_floor = self.manual_floor = self.unconfirmed_floor = (
            TradingState.ACTIVE
        )
        self.ramp_step, self.ramp_since_ns = 0, ts_ns
        return self._settle(why, measures)

    def new_day(self, measures: Measures) -> Transition | None:
        """A day boundary: the daily-loss floor is lifted (drawdown and operator floors stay)."""
        self.daily_floor = TradingState.ACTIVE
        return self._settle("new trading day: daily loss limits reset", measures)

    def _settle(self, why: str, measures: Measures) -> Transition | None:
        target = max(self.drawdown_floor, self.daily_floor, self.manual_floor, self.unconfirmed_floor)
        if target == self.state:
            return None
        before, self.state = self.state, target
        return Transition(before, target, why, measures)

    def _advance_ramp(self, limits: RiskLimits, ts_ns: int) -> None:
        if self.ramp_step is None or limits.recovery_interval_ns == 0:
            self.ramp_step = None
            return
        while self.ramp_step is not None and ts_ns - self.ramp_since_ns >= limits.recovery_interval_ns:
            self.ramp_since_ns += limits.recovery_interval_ns
            self.ramp_step += 1
            if self.ramp_step >= len(limits.recovery_steps_pct) - 1:
                self.ramp_step = None


def _calm(measures: Measures, limits: RiskLimits, strategy: bool) -> bool:
    if strategy:
        return measures.drawdown_pct < limits.strategy_drawdown_halt_pct
    return (
        measures.drawdown_pct < limits.drawdown_warning_pct
        and measures.daily_loss_pct < limits.daily_loss_warning_pct
    )


def _drawdown_tier(measures: Measures, limits: RiskLimits, strategy: bool) -> tuple[TradingState, str]:
    drawdown = measures.drawdown_pct
    if strategy:
        if drawdown >= limits.strategy_drawdown_halt_pct:
            return TradingState.HALTED, (
                f"strategy drawdown {drawdown:.2f}% reached its halt limit "
                f"{limits.strategy_drawdown_halt_pct}%"
            )
        return TradingState.ACTIVE, ""
    for state, limit, name in (
        (TradingState.EMERGENCY, limits.drawdown_emergency_pct, "emergency"),
        (TradingState.HALTED, limits.drawdown_halt_pct, "halt"),
        (TradingState.WARNING, limits.drawdown_warning_pct, "warning"),
    ):
        if drawdown >= limit:
            return (
                state,
                f"drawdown {drawdown:.2f}% from the high-water mark reached the {name} tier {limit}%",
            )
    return TradingState.ACTIVE, ""


def _daily_tier(measures: Measures, limits: RiskLimits) -> tuple[TradingState, str]:
    daily = measures.daily_loss_pct
    if daily >= limits.daily_loss_halt_pct:
        return (
            TradingState.HALTED,
            f"daily loss {daily:.2f}% reached the halt tier {limits.daily_loss_halt_pct}%",
        )
    if daily >= limits.daily_loss_warning_pct:
        return TradingState.REDUCING, (
            f"daily loss {daily:.2f}% reached the warning tier {limits.daily_loss_warning_pct}%: "
            "reducing only"
        )
    return TradingState.ACTIVE, ""
