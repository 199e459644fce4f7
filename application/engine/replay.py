"""Replay verification: re-run the engine over a log's recorded inputs, compare the decisions.

The log's first event must be the session's configuration. Every input is
handed to a fresh engine in log order (venue reports included, exactly as
recorded: the venue is not consulted); every decision the log holds must be
the next one the engine produces, byte for byte, and no produced decision
may be missing from the log. The digest is SHA-256 over the decisions'
topics and stored bytes, in order.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from application.engine.engine import Engine
from application.errors import ApplicationError
from application.ports import Codec, EventLog, StoredRecord
from domain.events import Event, SessionStarted


class NotASessionLog(ApplicationError):
    """The log does not start with a session configuration, so there is nothing to replay."""


class DecisionDigest:
    """SHA-256 over decisions in order: topic, a zero byte, length, stored bytes."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, topic: str, stored: bytes) -> None:
        """Fold in one decision."""
        self._hash.update(topic.encode())
        self._hash.update(b"\x00")
        self._hash.update(len(stored).to_bytes(8, "big"))
        self._hash.update(stored)
        self.count += 1

    def hexdigest(self) -> str:
        """The digest so far."""
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Divergence:
    """The first place where the replay and the log disagree."""

    decision_index: int
    notification_id: int | None
    recorded: str
    replayed: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome: counts, the digests of the recorded and the replayed decisions, any divergence."""

    inputs: int
    decisions: int
    recorded_digest: str
    replayed_digest: str
    divergence: Divergence | None
    recorded_by: str = ""
    """The code version the session recorded (a different version may decide differently)."""

    @property
    def identical(self) -> bool:
        """True when every decision was reproduced byte for byte."""
        return self.divergence is None and self.recorded_digest == self.replayed_digest


def verify(
    log: EventLog, codec: Codec, page_size: int = 20_000, on_progress: Callable[[int], None] | None = None
) -> VerifyResult:
    """Replay ``log`` and compare; never raises on a divergence, reports it."""
    engine: Engine | None = None
    expected: deque[tuple[str, bytes]] = deque()
    recorded, replayed = DecisionDigest(), DecisionDigest()
    inputs = 0
    divergence: Divergence | None = None
    for page in log.read_stored(0, page_size):
        for record in page:
            try:
                event = codec.decode(record.topic, record.state)
            except Exception as error:  # the codec's own error type lives in infrastructure
                found = divergence or Divergence(
                    recorded.count + 1,
                    record.notification_id,
                    f"undecodable: {error}",
                    "(replay stopped: the log is corrupt at this event)",
                )
                version = engine.session.code_version if engine else ""
                return VerifyResult(
                    inputs, recorded.count, recorded.hexdigest(), replayed.hexdigest(), found, version
                )
            if engine is None:
                if not isinstance(event, SessionStarted):
                    raise NotASessionLog(f"the log starts with {record.topic}, not a session configuration")
                engine = Engine(event)
            if type(event).IS_INPUT:
                inputs += 1
                if expected and divergence is None:
                    divergence = _missing(
                        recorded.count, record.notification_id, expected[0][0], record.topic
                    )
                for decision in engine.handle(event):
                    stored = codec.encode(decision)
                    replayed.add(decision.TOPIC, stored)
                    expected.append((decision.TOPIC, stored))
                engine.outbox.clear()
                continue
            recorded.add(record.topic, record.state)
            if divergence is None:
                divergence = _compare(recorded.count, record, expected, codec, event)
            elif expected:
                expected.popleft()
        if on_progress:
            on_progress(inputs)
    if divergence is None and expected:
        divergence = Divergence(recorded.count, None, "(end of log)", f"unrecorded {expected[0][0]}")
    return VerifyResult(
        inputs,
        recorded.count,
        recorded.hexdigest(),
        replayed.hexdigest(),
        divergence,
        engine.session.code_version if engine else "",
    )


def _compare(
    index: int, record: StoredRecord, expected: deque[tuple[str, bytes]], codec: Codec, event: Event
) -> Divergence | None:
    notification_id, topic, state = record.notification_id, record.topic, record.state
    if not expected:
        return Divergence(index, notification_id, f"{topic} {event}", "nothing (the engine made no decision)")
    want_topic, want = expected.popleft()
    if (want_topic, want) == (topic, state):
        return None
    replayed = codec.decode(want_topic, want)
    return Divergence(index, notification_id, f"{topic} {event}", f"{want_topic} {replayed}")


def _missing(index: int, notification_id: int, topic: str, input_topic: str) -> Divergence:
    return Divergence(
        index + 1,
        notification_id,
        f"input {input_topic} (the decision is missing)",
        f"{topic} before that input",
    )
