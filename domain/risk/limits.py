"""Risk limits: every number the risk engine enforces, versioned and checked for sense.

Percentages are of equity (trade and exposure caps) or of the reference equity
(drawdown from the high-water mark, daily loss from the day's opening equity).
A change of limits is an event; every risk decision names the version it used.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Literal

import msgspec

from domain.errors import DomainError

NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR


class InvalidLimits(DomainError, ValueError):
    """The limits contradict themselves (e.g. a halt tier below its warning tier)."""


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The limits in force; defaults are the product's (see "Risk model" in docs/architecture.md)."""

    version: int = 1
    max_trade_pct: Decimal = Decimal(2)
    trade_cap_mode: Literal["notional", "risk"] = "notional"
    max_strategy_exposure_pct: Decimal = Decimal(10)
    max_account_exposure_pct: Decimal = Decimal(100)
    drawdown_warning_pct: Decimal = Decimal(3)
    drawdown_halt_pct: Decimal = Decimal(5)
    drawdown_emergency_pct: Decimal = Decimal(10)
    daily_loss_warning_pct: Decimal = Decimal(2)
    daily_loss_halt_pct: Decimal = Decimal(3)
    strategy_drawdown_halt_pct: Decimal = Decimal(8)
    orders_per_second: int = 100
    recovery_steps_pct: tuple[Decimal, ...] = (Decimal(25), Decimal(50), Decimal(75), Decimal(100))
    recovery_interval_ns: int = NS_PER_HOUR
    day_offset_ns: int = 0
    max_ack_latency_ns: int = 2_000_000_000
    max_slippage_bps: Decimal = Decimal(50)
    max_venue_error_pct: Decimal = Decimal(20)
    execution_window: int = 20
    execution_min_samples: int = 5
    execution_cooldown_ns: int = 300_000_000_000
    max_data_age_ns: int = 500_000_000
    max_price_jump_pct: Decimal = Decimal(25)
    price_confirm_prints: int = 2
    """A jump past the band is believed once this many closes in a row agree with each other..."""
    price_confirm_ns: int = 10_000_000_000
    """...over at least this long (first to last): two one-minute bars, or ten seconds of ticks."""
    min_liquidity_usd: Decimal = Decimal(10_000)
    liquidity_window_ns: int = NS_PER_DAY
    adaptive_window: int = 0
    """Bars in the short volatility average; 0 turns adaptive thresholds off."""
    adaptive_min_scale: Decimal = Decimal("0.5")
    adaptive_max_scale: Decimal = Decimal("1.5")
    max_slippage_hard_bps: Decimal = Decimal(100)
    """Adaptive scaling never loosens the slippage limit past this (nor drawdown tiers past emergency)."""

    def validated(self) -> RiskLimits:
        """Self, if the limits make sense; raises InvalidLimits naming the first problem."""
        positive = {
            "max_trade_pct": self.max_trade_pct,
            "max_strategy_exposure_pct": self.max_strategy_exposure_pct,
            "max_account_exposure_pct": self.max_account_exposure_pct,
            "strategy_drawdown_halt_pct": self.strategy_drawdown_halt_pct,
        }
        for name, value in positive.items():
            if not value > 0:
                raise InvalidLimits(f"{name} must be positive, got {value}")
        tiers = (self.drawdown_warning_pct, self.drawdown_halt_pct, self.drawdown_emergency_pct)
        if not 0 < tiers[0] < tiers[1] < tiers[2] <= 100:
            raise InvalidLimits(f"drawdown tiers must rise: warning < halt < emergency, got {tiers}")
        if not 0 < self.daily_loss_warning_pct < self.daily_loss_halt_pct <= 100:
            raise InvalidLimits("daily loss tiers must rise: warning < halt")
        steps = self.recovery_steps_pct
        if not steps or steps[-1] != 100 or any(b <= a for a, b in pairwise(steps)):
            raise InvalidLimits(f"recovery steps must rise to 100, got {steps}")
        if not 1 <= self.execution_min_samples <= self.execution_window:
            raise InvalidLimits("execution_min_samples must be between 1 and execution_window")
        if self.max_ack_latency_ns <= 0 or self.max_slippage_bps <= 0 or self.max_venue_error_pct <= 0:
            raise InvalidLimits("execution-quality thresholds must be positive")
        if self.adaptive_window < 0 or not 0 < self.adaptive_min_scale <= 1 <= self.adaptive_max_scale:
            raise InvalidLimits("adaptive scales must satisfy 0 < min <= 1 <= max, and the window >= 0")
        if self.max_slippage_hard_bps < self.max_slippage_bps:
            raise InvalidLimits("max_slippage_hard_bps must be at least max_slippage_bps")
        if self.price_confirm_prints < 1 or self.price_confirm_ns < 0:
            raise InvalidLimits("price_confirm_prints must be >= 1 and price_confirm_ns >= 0")
        if self.orders_per_second < 1 or self.recovery_interval_ns < 0:
            raise InvalidLimits("orders_per_second must be >= 1 and recovery_interval_ns >= 0")
        return self

    @property
    def label(self) -> str:
        """How decisions name these limits."""
        return f"limits-{self.version}"


class StrategyLimits(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One strategy's own caps, where they differ from the account's limits."""

    max_trade_pct: Decimal | None = None
    max_exposure_pct: Decimal | None = None
    drawdown_halt_pct: Decimal | None = None

    def applied_to(self, limits: RiskLimits) -> RiskLimits:
        """The account's limits with this strategy's caps in place (validated)."""
        changes = {
            name: value
            for name, value in (
                ("max_trade_pct", self.max_trade_pct),
                ("max_strategy_exposure_pct", self.max_exposure_pct),
                ("strategy_drawdown_halt_pct", self.drawdown_halt_pct),
            )
            if value is not None
        }
        return msgspec.structs.replace(limits, **changes).validated() if changes else limits
