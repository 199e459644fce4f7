"""Decision-replay audit of a time window: were the decisions recorded between T1 and T2 the engine's?

The engine is a pure function of its inputs, so the log does not store the engine's
state: the state at T1 *is* the inputs before T1. It is rebuilt by replaying them
through a fresh engine (their recorded decisions are not read, let alone trusted),
then the inputs of the window are replayed and every decision the engine makes is
compared with the decisions recorded in the window: same count, same order, same
bytes (``DecisionComparison``, the comparison ``replay verify`` runs over a whole log).

The window is a contiguous part of the log (the engine sees inputs in log order): from
the first input stamped at or after T1 to the last stamped at or before T2, with the
decisions each caused. Its edges are placed by the inputs that carry the market's time
(bars and other market data, operator commands, limit changes, the session's end);
venue reports stay with the part of the log they were recorded in, because a venue
stamps them itself (a simulated acknowledgement carries its latency and may be stamped
after the next bar). Decisions outside the window are never compared, so a decision
altered there is not this audit's finding (``replay verify`` and ``audit verify`` cover
the whole log).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from application.engine.build import engine_for
from application.engine.engine import Engine
from application.engine.replay import (
    AUDIT_RECORDS,
    DecisionComparison,
    DecisionDigest,
    Divergence,
    NotASessionLog,
)
from application.errors import ApplicationError
from application.ports import Codec, EventLog, StoredRecord
from domain.events import ALL_EVENT_TYPES, Event, SessionStarted, VenueReport


class InvalidWindow(ApplicationError):
    """The window ends before it starts. Give --from earlier than --to."""


@dataclass(frozen=True)
class WindowResult:
    """What the window audit compared, and the first decision that differs (if any)."""

    from_ns: int
    to_ns: int
    state_inputs: int
    """Inputs replayed before the window to rebuild the engine's state at T1 (the session's included)."""
    state_upto: int
    """Notification id of the last of them."""
    inputs: int
    decisions: int
    recorded_digest: str
    replayed_digest: str
    divergence: Divergence | None
    first_id: int | None
    """Notification ids of the first and last events compared (None: the window holds no input)."""
    last_id: int | None
    recorded_by: str = ""

    @property
    def identical(self) -> bool:
        """True when the window's decisions were reproduced byte for byte."""
        return self.divergence is None and self.recorded_digest == self.replayed_digest


def window_time(event: Event) -> int | None:
    """The time an input places a window edge at, or None (venue reports, unstamped inputs)."""
    if isinstance(event, VenueReport):
        return None
    stamp = getattr(event, "ts_event", None)
    return stamp if isinstance(stamp, int) else None


def replay_window(
    log: EventLog, codec: Codec, from_ns: int, to_ns: int, page_size: int = 20_000
) -> WindowResult:
    """Rebuild the engine's state at ``from_ns`` from the log, replay the window, compare its decisions."""
    if to_ns < from_ns:
        raise InvalidWindow("the window's end is before its start")
    records = _records(log, page_size)
    engine, state_inputs, state_upto = None, 0, 0
    comparison: DecisionComparison | None = None
    first_id = last_id = None
    for record in records:
        kind = ALL_EVENT_TYPES.get(record.topic)
        if comparison is None and engine is not None and kind is not None and not kind.IS_INPUT:
            continue  # a decision before the window: not compared, not even decoded
        try:
            event = codec.decode(record.topic, record.state)
        except Exception as error:  # the codec's own error type lives in infrastructure
            comparison = comparison or DecisionComparison(engine or _no_engine(), codec)
            comparison.undecodable(record, error)
            break
        if engine is None:
            if not isinstance(event, SessionStarted):
                raise NotASessionLog(f"the log starts with {record.topic}, not a session configuration")
            engine = engine_for(event)
        if isinstance(event, AUDIT_RECORDS):
            continue
        if not type(event).IS_INPUT:
            assert comparison is not None  # decisions before the window were skipped above
            comparison.decision(record, event)
            last_id = record.notification_id
            continue
        stamp = window_time(event)
        if comparison is None:
            if stamp is None or stamp < from_ns:
                engine.handle(event)
                engine.outbox.clear()
                state_inputs, state_upto = state_inputs + 1, record.notification_id
                continue
            if stamp > to_ns:
                break  # the window holds no input
            comparison, first_id = DecisionComparison(engine, codec), record.notification_id
        elif stamp is not None and stamp > to_ns:
            comparison.finish(record)
            break
        comparison.input(record, event)
        last_id = record.notification_id
    else:
        if comparison is not None:
            comparison.finish()
    if engine is None:
        raise NotASessionLog("the log is empty")
    return _result(from_ns, to_ns, state_inputs, state_upto, comparison, first_id, last_id, engine)


def _records(log: EventLog, page_size: int) -> Iterator[StoredRecord]:
    for page in log.read_stored(0, page_size):
        yield from page


def _no_engine() -> Engine:
    raise NotASessionLog("the log's first event does not decode, so it has no session configuration")


def _result(
    from_ns: int,
    to_ns: int,
    state_inputs: int,
    state_upto: int,
    comparison: DecisionComparison | None,
    first_id: int | None,
    last_id: int | None,
    engine: Engine,
) -> WindowResult:
    empty = DecisionDigest()
    recorded = comparison.recorded if comparison is not None else empty
    replayed = comparison.replayed if comparison is not None else empty
    return WindowResult(
        from_ns,
        to_ns,
        state_inputs,
        state_upto,
        comparison.inputs if comparison is not None else 0,
        recorded.count,
        recorded.hexdigest(),
        replayed.hexdigest(),
        comparison.divergence if comparison is not None else None,
        first_id,
        last_id,
        engine.session.code_version,
    )
