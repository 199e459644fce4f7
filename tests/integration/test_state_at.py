"""What the risk engine knew at time T, against a hand-worked scenario.

The hand-worked bars (closes 10 10 10 9 8 9 11 13 12 10 ...) with cash 200 and size 10:
buy 10 at bar 7's open 11.5 (cash 85); equity at closes 215 (the high-water mark), 205
(4.65% below: WARNING), then 185 at bar 9, 13.95% below: EMERGENCY.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from application.audit.checkpoints import sign_checkpoint
from application.audit.state_at import risk_state_at
from domain.risk.limits import RiskLimits
from infrastructure.audit.signing import FileSigner
from infrastructure.bootstrap import LedgerStore, migrate, open_ledger
from infrastructure.store.codec import EventCodec
from tests.conftest import settings_for
from tests.engine_helpers import bar_rows, config, run
from tests.integration.test_backtest_by_hand import series

LIMITS = RiskLimits(
    max_trade_pct=Decimal(100), max_strategy_exposure_pct=Decimal(100), max_price_jump_pct=Decimal(50)
)
T0 = 1_700_000_000 * 10**9
MINUTE = 60 * 10**9


def test_state_before_and_after_the_emergency(store: LedgerStore) -> None:
    cfg = config(params=(("fast", "2"), ("size", "10"), ("slow", "3")), cash=Decimal(200), limits=LIMITS)
    run(store.log, bar_rows(series()), cfg)
    peak = risk_state_at(store.log, EventCodec(), T0 + 7 * MINUTE)
    assert peak.breakers["account"] == "ACTIVE" and peak.equity == peak.high_water == Decimal(215)
    before = risk_state_at(store.log, EventCodec(), T0 + 8 * MINUTE)
    assert before.breakers["account"] == "WARNING"  # 205 is 4.65% below 215: past the 3% tier
    assert before.cash == Decimal(85) and before.positions == {"sma_cross:TEST/USD": Decimal(10)}
    assert before.equity == Decimal(85) + 10 * Decimal(12)
    assert before.high_water == Decimal(215) and before.limits_version == "limits-1"
    after = risk_state_at(store.log, EventCodec(), T0 + 9 * MINUTE)
    assert after.breakers["account"] == "EMERGENCY"
    assert after.equity == Decimal(185)
    assert after.drawdown_pct == (Decimal(215) - Decimal(185)) / Decimal(215) * 100
    assert after.last_market_data_age_ns == 0
    later = risk_state_at(store.log, EventCodec(), T0 + 9 * MINUTE + 30 * 10**9)
    assert later.last_market_data_age_ns == 30 * 10**9


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_checkpoints_in_the_log_are_not_counted_as_inputs(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    cfg = config(params=(("fast", "2"), ("size", "10"), ("slow", "3")), cash=Decimal(200), limits=LIMITS)
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    at = T0 + 10**6 * MINUTE  # after everything: the replay reaches the checkpoint
    with open_ledger(settings) as store:
        run(store.log, bar_rows(series()), cfg)
        before = risk_state_at(store.log, EventCodec(), at)
        signer = FileSigner(tmp_path / "key.pem")
        sign_checkpoint(store.log, store.log, signer, "2026-11-29T00:00:00Z")  # type: ignore[arg-type]
        after = risk_state_at(store.log, EventCodec(), at)
    assert before.inputs_replayed > 0
    assert after.inputs_replayed == before.inputs_replayed and after.equity == before.equity
