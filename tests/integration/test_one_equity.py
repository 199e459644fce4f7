"""One equity everywhere: at a bar whose close the guards refused, the report, the projections and
``audit state`` all mark the position at the worse of the last accepted close and the refused one."""

from __future__ import annotations

from decimal import Decimal

from application.audit.state_at import risk_state_at
from application.read_models.ports import RowQuery
from application.read_models.runner import ProjectionRunner
from domain.market.values import format_timestamp
from infrastructure.bootstrap import LedgerStore
from infrastructure.read_models.sql_store import SqlReadModels
from infrastructure.scenarios import EXPOSED, SCENARIOS, rows
from infrastructure.store.codec import EventCodec
from projections.portfolio import EQUITY
from tests.engine_helpers import config, run

CRASH_MINUTE = 300


def test_report_projection_and_audit_state_agree_at_a_refused_price(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    store, views = ledger
    cfg = config(strategy="buy_and_hold", params=(("size", "5000"),), cash=Decimal(10_000), limits=EXPOSED)
    report = run(store.log, rows(SCENARIOS["crash_beyond_band"]), cfg)
    ProjectionRunner(store.log, views).run_once()
    crash_ts = report.timestamps[CRASH_MINUTE]
    reported = list(report.equity)[CRASH_MINUTE]
    state = risk_state_at(store.log, EventCodec(), crash_ts)
    [row] = views.documents(RowQuery(EQUITY, ts_from=crash_ts, ts_to=crash_ts))
    position = Decimal(5000)
    accepted_before = list(report.equity)[CRASH_MINUTE - 1]
    assert reported < accepted_before - position * Decimal("0.25"), "marked at the refused crash price"
    assert state.equity == reported and Decimal(row["equity"]) == reported
    assert state.breakers["account"] == "HALTED"
    assert format_timestamp(crash_ts) == "2024-01-01T05:00:00+00:00"
