from decimal import Decimal as D  # noqa: N817 -- short for worked numbers

from hypothesis import given
from hypothesis import strategies as st

from domain.risk.adaptive import VolatilityRegime, scaled
from domain.risk.limits import RiskLimits

LIMITS = RiskLimits(adaptive_window=5)


def test_a_calmer_regime_tightens_and_a_wilder_one_loosens_within_bounds() -> None:
    regime = VolatilityRegime(5)
    price = D(100)
    for i in range(400):
        price *= D("1.01") if i % 2 else D("0.99")
        regime.update(price)
    assert regime.scale(LIMITS) == 1
    for i in range(10):
        price *= D("1.05") if i % 2 else D("0.95")
        regime.update(price)
    assert regime.scale(LIMITS) == D("1.50")
    for _ in range(30):
        regime.update(price)
    assert regime.scale(LIMITS) == D("0.50")


@given(st.decimals(min_value=D("0.5"), max_value=D("1.5"), places=2))
def test_scaled_limits_never_loosen_past_the_hard_limits(scale: D) -> None:
    limits = RiskLimits(
        drawdown_warning_pct=D(4),
        drawdown_halt_pct=D(8),
        drawdown_emergency_pct=D(10),
        max_slippage_bps=D(80),
        max_slippage_hard_bps=D(100),
    )
    effective = scaled(limits, scale)
    assert effective.drawdown_warning_pct <= effective.drawdown_halt_pct <= limits.drawdown_emergency_pct
    assert effective.drawdown_emergency_pct == limits.drawdown_emergency_pct
    assert effective.max_slippage_bps <= limits.max_slippage_hard_bps
    if scale <= 1:
        assert effective.drawdown_halt_pct == limits.drawdown_halt_pct * scale
