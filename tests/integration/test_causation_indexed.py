"""The indexed causation query tells the same story as the pass over the log, for every order."""

from __future__ import annotations

from uuid import UUID, uuid4

from application.audit.causation import explain_order
from application.audit.causation_indexed import explain_order_from_views
from application.read_models.ports import RowQuery
from application.read_models.runner import ProjectionRunner
from infrastructure.bootstrap import LedgerStore
from infrastructure.read_models.sql_store import SqlReadModels
from projections.orders import ORDERS, OrderRow
from tests.integration.test_projections import backtest


def test_every_orders_story_is_the_same_from_the_views(ledger: tuple[LedgerStore, SqlReadModels]) -> None:
    store, views = ledger
    backtest(store)
    ProjectionRunner(store.log, views).run_once()
    orders = [v.row for v in views.rows(RowQuery(ORDERS, limit=10_000))]
    assert len(orders) >= 6 and {o.status for o in orders if isinstance(o, OrderRow)} == {"filled", "denied"}
    for row in orders:
        assert isinstance(row, OrderRow)
        order_id = UUID(row.order_id)
        scanned = explain_order(store.log, order_id)
        indexed = explain_order_from_views(store.log, views, order_id)
        assert indexed.found and scanned.found
        assert indexed.decision == scanned.decision and indexed.submitted == scanned.submitted
        assert indexed.signal == scanned.signal and indexed.session == scanned.session
        assert indexed.inputs == scanned.inputs and len(indexed.inputs) == 9  # slow 8 + the previous close
        assert indexed.reports == scanned.reports
        assert indexed.position_after == scanned.position_after
    assert not explain_order_from_views(store.log, views, uuid4()).found
