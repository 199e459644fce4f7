"""``InstrumentedEventLog``: an ``EventLog`` that counts and times what is appended through it.

An append is one transaction (its commit included), so ``memesnipe_append_seconds``
is the commit latency of the log. Counting happens after the append returned (the
events are durable); an append that raises is counted in ``memesnipe_append_errors_total``
and nothing else. Every other method is forwarded untouched, and so is any attribute
the wrapped log has beyond the protocol (``extend_chain``, ``chain_links``,
``audited_events``, ``chain_head``): code that asks ``hasattr(log, "extend_chain")``
gets the wrapped log's answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from application.ports import EventLog, RecordedEvent, StoredRecord
from domain.events import Event
from infrastructure.metrics.registry import Metrics


class InstrumentedEventLog:
    """Wraps another ``EventLog``; see the module docstring for what it measures."""

    def __init__(self, log: EventLog, metrics: Metrics) -> None:
        self.wrapped = log
        self._metrics = metrics

    def append(self, events: Sequence[Event]) -> int:
        """Append through the wrapped log, then count and time it."""
        started = time.perf_counter()
        try:
            last = self.wrapped.append(events)
        except Exception as error:
            self._metrics.append_failed(error)
            raise
        self._metrics.appended(events, time.perf_counter() - started)
        return last

    def append_encoded(self, items: Sequence[tuple[Event, bytes]]) -> int:
        """Like ``append`` for events already encoded."""
        started = time.perf_counter()
        try:
            last = self.wrapped.append_encoded(items)
        except Exception as error:
            self._metrics.append_failed(error)
            raise
        self._metrics.appended([event for event, _ in items], time.perf_counter() - started)
        return last

    def stream_head(self, originator_id: UUID) -> Event | None:
        """Forwarded."""
        return self.wrapped.stream_head(originator_id)

    def read_stream(self, originator_id: UUID, after_version: int, upto_version: int) -> list[RecordedEvent]:
        """Forwarded."""
        return self.wrapped.read_stream(originator_id, after_version, upto_version)

    def read(
        self,
        after: int = 0,
        page_size: int = 10_000,
        topics: Sequence[str] = (),
        decode_as: Mapping[str, type[Any]] | None = None,
    ) -> Iterator[Sequence[RecordedEvent]]:
        """Forwarded."""
        return self.wrapped.read(after, page_size, topics, decode_as)

    def read_stored(self, after: int = 0, page_size: int = 10_000) -> Iterator[Sequence[StoredRecord]]:
        """Forwarded."""
        return self.wrapped.read_stored(after, page_size)

    def read_states(
        self, topic: str, after: int = 0, page_size: int = 10_000
    ) -> Iterator[tuple[Sequence[int], Sequence[bytes]]]:
        """Forwarded."""
        return self.wrapped.read_states(topic, after, page_size)

    def last_notification_id(self) -> int:
        """Forwarded."""
        return self.wrapped.last_notification_id()

    def count_by_topic(self) -> dict[str, int]:
        """Forwarded."""
        return self.wrapped.count_by_topic()

    def __getattr__(self, name: str) -> Any:
        # only reached for names this class lacks: the wrapped log's extras (the audit trail's methods)
        if name == "wrapped":  # not set yet (during unpickling or a failed __init__)
            raise AttributeError(name)
        return getattr(self.wrapped, name)
