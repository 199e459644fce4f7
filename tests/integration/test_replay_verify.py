"""Replay verification on every store, and its verdict on logs that were altered."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from application.engine.replay import NotASessionLog, verify
from domain.events import Event, OrderApproved, SignalGenerated
from infrastructure.bootstrap import LedgerStore, open_ledger
from infrastructure.config import load_settings
from infrastructure.store.codec import EventCodec
from tests.engine_helpers import bar_rows, run
from tests.integration.test_backtest_by_hand import series


def recorded(store: LedgerStore) -> list[Event]:
    return [r.event for page in store.log.read() for r in page]


def copy_into_memory(events: list[Event]):  # type: ignore[no-untyped-def]
    target = open_ledger(load_settings({}, store="memory"))
    opened = target.__enter__()
    opened.log.append(events)
    return target, opened


def test_an_honest_log_verifies_identical_with_the_reports_digest(store: LedgerStore) -> None:
    report = run(store.log, bar_rows(series() * 3))
    result = verify(store.log, EventCodec(), page_size=7)
    assert result.identical
    assert result.recorded_digest == result.replayed_digest == report.digest
    assert result.decisions == report.decisions > 0


def test_a_changed_decision_is_named(store: LedgerStore) -> None:
    run(store.log, bar_rows(series()))
    events = recorded(store)
    index = next(i for i, e in enumerate(events) if isinstance(e, OrderApproved))
    original = events[index]
    assert isinstance(original, OrderApproved)
    events[index] = msgspec.structs.replace(original, quantity=Decimal(2))
    context, tampered = copy_into_memory(events)
    try:
        result = verify(tampered.log, EventCodec())
    finally:
        context.__exit__(None, None, None)
    assert not result.identical
    assert result.divergence is not None
    assert result.divergence.notification_id == index + 1
    assert "risk.Order.Approved" in result.divergence.recorded and "quantity=Decimal('2')" in (
        result.divergence.recorded
    )


@pytest.mark.parametrize("change", ["drop", "invent"])
def test_a_missing_or_invented_decision_is_found(store: LedgerStore, change: str) -> None:
    run(store.log, bar_rows(series()))
    events = recorded(store)
    index = next(i for i, e in enumerate(events) if isinstance(e, SignalGenerated))
    if change == "drop":
        del events[index]
    else:
        signal = events[index]
        assert isinstance(signal, SignalGenerated)
        events.insert(index, msgspec.structs.replace(signal, originator_version=99))
    context, tampered = copy_into_memory(events)
    try:
        result = verify(tampered.log, EventCodec())
    finally:
        context.__exit__(None, None, None)
    assert not result.identical and result.divergence is not None


def test_a_log_without_a_session_is_refused(store: LedgerStore) -> None:
    store.log.append(recorded_bars())
    with pytest.raises(NotASessionLog, match=r"market\.Bar"):
        verify(store.log, EventCodec())


def recorded_bars() -> list[Event]:
    from tests.factories import bars

    return list(bars(3))


def test_an_undecodable_event_is_reported_not_a_crash(store: LedgerStore) -> None:
    run(store.log, bar_rows(series()))
    events = recorded(store)
    context, tampered = copy_into_memory(events[:5])
    try:
        garbage = msgspec.structs.replace(events[5], originator_version=999)
        tampered.log.append_encoded([(garbage, b"\x81\xa1")])
        result = verify(tampered.log, EventCodec())
    finally:
        context.__exit__(None, None, None)
    assert not result.identical and result.divergence is not None
    assert result.divergence.notification_id == 6
    assert "undecodable" in result.divergence.recorded and "does not decode" in result.divergence.recorded
