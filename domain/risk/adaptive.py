"""Adaptive thresholds: the drawdown and slippage limits scaled by the volatility regime.

The regime is the ratio of a short to a long exponential average of absolute
close-to-close returns (windows N and 10N bars). The scale is that ratio clamped to
[adaptive_min_scale, adaptive_max_scale] and rounded to steps of 0.05, so limits
change only when the regime really moves. Scaled limits are bounded: the warning and
halt drawdown tiers never pass the emergency tier (which is never scaled), and the
slippage limit never passes ``max_slippage_hard_bps``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import msgspec

from domain.risk.limits import RiskLimits

_STEP = Decimal("0.05")
_ONE = Decimal(1)


class VolatilityRegime:
    """Short and long averages of absolute returns, and the scale they imply."""

    def __init__(self, window: int) -> None:
        self.fast = Decimal(2) / (window + 1)
        self.slow = Decimal(2) / (10 * window + 1)
        self.short = self.long = Decimal(0)
        self.previous: Decimal | None = None
        self.bars = 0
        self.warmup = 10 * window

    def update(self, close: Decimal) -> None:
        """Take one close."""
        previous, self.previous = self.previous, close
        if previous is None or previous <= 0:
            return
        move = abs(close / previous - _ONE)
        self.short += self.fast * (move - self.short)
        self.long += self.slow * (move - self.long)
        self.bars += 1

    def scale(self, limits: RiskLimits) -> Decimal:
        """The clamped, rounded scale (1 until the long average has warmed up)."""
        if self.bars < self.warmup or self.long <= 0:
            return _ONE
        ratio = min(max(self.short / self.long, limits.adaptive_min_scale), limits.adaptive_max_scale)
        return (ratio / _STEP).quantize(_ONE, rounding=ROUND_HALF_EVEN) * _STEP


def scaled(limits: RiskLimits, scale: Decimal) -> RiskLimits:
    """``limits`` with the drawdown warning/halt tiers and the slippage limit scaled, within bounds."""
    if scale == _ONE:
        return limits
    halt = min(limits.drawdown_halt_pct * scale, limits.drawdown_emergency_pct)
    warning = min(limits.drawdown_warning_pct * scale, halt)
    slippage = min(limits.max_slippage_bps * scale, limits.max_slippage_hard_bps)
    return msgspec.structs.replace(
        limits, drawdown_warning_pct=warning, drawdown_halt_pct=halt, max_slippage_bps=slippage
    )
