"""'Why did this order happen' answered from the log, against the hand-worked scenario."""

from __future__ import annotations

from decimal import Decimal

from application.audit.causation import explain_order
from domain.events import (
    Bar,
    OrderApproved,
    OrderSubmitted,
    SignalGenerated,
    VenueOrderAccepted,
    VenueOrderFilled,
)
from domain.ids import derive_id
from infrastructure.bootstrap import LedgerStore
from tests.engine_helpers import bar_rows, run
from tests.integration.test_backtest_by_hand import series


def test_the_entry_order_is_traced_to_the_bars_its_signal_was_computed_from(store: LedgerStore) -> None:
    run(store.log, bar_rows(series()))
    events = [r.event for page in store.log.read() for r in page]
    entry = next(e for e in events if isinstance(e, OrderSubmitted) and e.side == "buy")
    story = explain_order(store.log, entry.order_id)

    assert story.found and story.session is not None
    # sma_cross 2/3 decides on this close and the previous one's 3-bar window: 4 bars, up to bar 7
    assert [r.event.originator_version for r in story.inputs] == [4, 5, 6, 7]
    assert all(isinstance(r.event, Bar) for r in story.inputs)
    assert [r.event.close for r in story.inputs] == [Decimal(c) for c in ("9", "8", "9", "11")]  # type: ignore[attr-defined]
    assert story.signal is not None and isinstance(story.signal.event, SignalGenerated)
    assert story.signal.event.action == "buy" and story.signal.event.cause.version == 7
    assert story.decision is not None and isinstance(story.decision.event, OrderApproved)
    assert story.decision.event.limits_version == "basic-1"
    assert story.submitted is not None and story.submitted.event == entry
    assert [type(r.event) for r in story.reports] == [VenueOrderAccepted, VenueOrderFilled]
    assert [held for _, held in story.position_after] == [Decimal(1)]
    ids = [r.notification_id for r in [*story.inputs, story.signal, story.decision, story.submitted]]
    assert ids == sorted(ids)


def test_an_unknown_order_is_not_found(store: LedgerStore) -> None:
    run(store.log, bar_rows(series()))
    assert not explain_order(store.log, derive_id("no such order")).found
