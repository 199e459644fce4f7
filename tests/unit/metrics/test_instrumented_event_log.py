"""The instrumented log counts what was appended (by topic) and what was refused (by reason)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid5

import pytest

from domain.events import (
    Event,
    EventRef,
    MarketDataRejected,
    OperatorCommandRefused,
    OrderDenied,
    VenueOrderRejected,
)
from infrastructure.metrics import InstrumentedEventLog, Metrics
from infrastructure.metrics.rejections import MAX_REASONS_PER_TOPIC
from tests.factories import bars
from tests.unit.metrics.fakes import AuditedFakeLog, FakeLog

STREAM = UUID(int=1)


def denied(version: int, reason: str) -> OrderDenied:
    return OrderDenied(
        originator_id=STREAM,
        originator_version=version,
        order_id=uuid5(STREAM, str(version)),
        strategy_id="sma_cross",
        symbol="BTC/USD",
        side="buy",
        quantity=Decimal(1),
        reference_price=Decimal(100),
        notional=Decimal(100),
        cash=Decimal(1000),
        position=Decimal(0),
        limits_version="v1",
        ts_event=version,
        cause=EventRef(STREAM, 0),
        reason=reason,
        message="strategy exposure would be 11.20% of equity, limit 10%",
    )


def rejected_row(version: int, reason: str) -> MarketDataRejected:
    return MarketDataRejected(
        originator_id=UUID(int=2),
        originator_version=version,
        venue="kraken",
        symbol="BTC/USD",
        kind="bar",
        source="file.csv",
        line=version,
        raw="x",
        reason=reason,
        message="bad row",
    )


def venue_rejected(version: int, reason: str) -> VenueOrderRejected:
    return VenueOrderRejected(
        originator_id=UUID(int=3), originator_version=version, order_id=UUID(int=version), venue="kraken",
        ts_event=1, ts_recv=1, reason=reason,
    )  # fmt: skip


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_appends_are_counted_by_topic_and_timed() -> None:
    metrics = Metrics()
    log = InstrumentedEventLog(FakeLog(), metrics)
    log.append(bars(3))
    last = log.append_encoded([(event, b"") for event in [*bars(2, start_version=4), denied(1, "halted")]])
    assert last == 6 == log.last_notification_id()
    assert value(metrics, "memesnipe_events_appended_total", topic="market.Bar") == 5
    assert value(metrics, "memesnipe_events_appended_total", topic="risk.Order.Denied") == 1
    assert value(metrics, "memesnipe_append_seconds_count") == 2
    assert value(metrics, "memesnipe_append_seconds_sum") > 0
    assert value(metrics, "memesnipe_events_per_append_sum") == 6


def test_refusals_are_counted_by_topic_and_reason_code() -> None:
    metrics = Metrics()
    log = InstrumentedEventLog(FakeLog(), metrics)
    events: list[Event] = [
        denied(1, "strategy_exposure"),
        denied(2, "strategy_exposure"),
        denied(3, "halted"),
        rejected_row(1, "negative_volume"),
        venue_rejected(1, "Exchange unavailable, try later"),
        venue_rejected(2, "insufficient funds: balance 12.50"),
        OperatorCommandRefused(
            originator_id=UUID(int=4),
            originator_version=1,
            command="resume",
            scope="account",
            issued_by="ops",
            reason="account is ACTIVE and not recovering",
            ts_event=1,
            cause=EventRef(STREAM, 1),
        ),
    ]
    log.append(events)
    rejected = "memesnipe_events_rejected_total"
    assert value(metrics, rejected, topic="risk.Order.Denied", reason="strategy_exposure") == 2
    assert value(metrics, rejected, topic="risk.Order.Denied", reason="halted") == 1
    assert value(metrics, rejected, topic="market.Data.Rejected", reason="negative_volume") == 1
    assert value(metrics, rejected, topic="venue.Order.Rejected", reason="venue_error") == 1
    assert value(metrics, rejected, topic="venue.Order.Rejected", reason="venue_refused") == 1
    assert value(metrics, rejected, topic="operator.Command.Refused", reason="command_not_applicable") == 1
    assert value(metrics, "memesnipe_events_appended_total", topic="risk.Order.Denied") == 3


def test_reason_labels_stay_bounded_per_topic() -> None:
    metrics = Metrics()
    log = InstrumentedEventLog(FakeLog(), metrics)
    log.append([rejected_row(i, f"code_{i}") for i in range(MAX_REASONS_PER_TOPIC + 5)])
    assert (
        value(metrics, "memesnipe_events_rejected_total", topic="market.Data.Rejected", reason="other") == 5
    )
    assert (
        value(metrics, "memesnipe_events_rejected_total", topic="market.Data.Rejected", reason="code_0") == 1
    )


def test_a_failed_append_counts_an_error_and_no_events() -> None:
    metrics = Metrics()
    fake = FakeLog()
    log = InstrumentedEventLog(fake, metrics)
    fake.fail_with = RuntimeError("unique violation")
    with pytest.raises(RuntimeError, match="unique violation"):
        log.append(bars(2))
    assert value(metrics, "memesnipe_append_errors_total", error="RuntimeError") == 1
    assert value(metrics, "memesnipe_events_appended_total", topic="market.Bar") == 0
    assert value(metrics, "memesnipe_append_seconds_count") == 0


def test_market_data_time_is_the_newest_event_time_per_venue_and_symbol() -> None:
    metrics = Metrics()
    log = InstrumentedEventLog(FakeLog(), metrics)
    log.append(bars(3, start_version=10))
    log.append(bars(2, start_version=1))  # older data later (a backfill) does not move it back
    name = "memesnipe_market_data_last_event_timestamp_seconds"
    assert value(metrics, name, venue="kraken", symbol="BTC/USD") == 12 * 60


def test_every_protocol_method_and_the_wrapped_logs_extras_are_forwarded() -> None:
    fake = AuditedFakeLog()
    log = InstrumentedEventLog(fake, Metrics())
    log.append(bars(2))
    assert log.count_by_topic() == {"market.Bar": 2}
    assert [r.notification_id for page in log.read(after=1) for r in page] == [2]
    assert [r.topic for page in log.read_stored() for r in page] == ["market.Bar"] * 2
    assert log.stream_head(fake.events[0].originator_id) == fake.events[1]
    assert [r.event for r in log.read_stream(fake.events[0].originator_id, 1, 2)] == [fake.events[1]]
    assert log.extend_chain() == 7
    assert not hasattr(InstrumentedEventLog(FakeLog(), Metrics()), "extend_chain")
