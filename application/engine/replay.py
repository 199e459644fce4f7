"""Replay verification: re-run the engine over a log's recorded inputs, compare the decisions.

The log's first event must be the session's configuration. Every input is
handed to a fresh engine in log order (venue reports included, exactly as
recorded: the venue is not consulted); every decision the log holds must be
the next one the engine produces, byte for byte, and no produced decision
may be missing from the log. The digest is SHA-256 over the decisions'
topics and stored bytes, in order. Signed checkpoints are the audit's own
records, neither inputs nor decisions: replay passes over them.

``DecisionComparison`` is the comparison itself; ``verify`` runs it over a
whole log and the window audit (``application.audit.replay_window``) over a
part of one.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from application.engine.build import engine_for
from application.engine.engine import Engine
from application.errors import ApplicationError
from application.ports import Codec, EventLog, StoredRecord
from domain.events import CheckpointSigned, Event, SessionStarted

AUDIT_RECORDS: tuple[type[Event], ...] = (CheckpointSigned,)
"""Events the audit records in the log: neither inputs nor decisions, so replay passes over them."""


class NotASessionLog(ApplicationError):
    """The log does not start with a session configuration, so there is nothing to replay."""


class DecisionDigest:
    """SHA-256 over decisions in order: topic, a zero byte, length, stored bytes.

    The pieces are gathered and hashed a few thousand at a time (one call instead of one per
    decision: the same digest, SHA-256 reading its input as one stream)."""

    _FOLD_AT = 4096

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0
        self._prefixes: dict[str, bytes] = {}
        self._pending: list[bytes] = []

    def add(self, topic: str, stored: bytes) -> None:
        """Fold in one decision."""
        prefix = self._prefixes.get(topic)
        if prefix is None:
            prefix = self._prefixes[topic] = topic.encode() + b"\x00"
        pending = self._pending
        pending += (prefix, len(stored).to_bytes(8, "big"), stored)
        self.count += 1
        if len(pending) >= self._FOLD_AT:
            self._fold()

    def hexdigest(self) -> str:
        """The digest so far."""
        self._fold()
        return self._hash.hexdigest()

    def _fold(self) -> None:
        if self._pending:
            self._hash.update(b"".join(self._pending))
            self._pending.clear()


@dataclass(frozen=True)
class Divergence:
    """The first place where the replay and the log disagree."""

    decision_index: int
    notification_id: int | None
    recorded: str
    replayed: str
    topic: str = ""
    """The recorded event's topic at ``notification_id`` (empty at the end of the log)."""


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


class DecisionComparison:
    """Feeds recorded inputs to an engine and matches every decision it makes with the recorded one.

    Call ``input`` and ``decision`` in log order, then ``finish``. Decisions must come
    in the same order and with the same bytes; the first disagreement is kept in
    ``divergence`` (the rest is still digested, so the counts stay meaningful).
    """

    def __init__(self, engine: Engine, codec: Codec) -> None:
        self.engine = engine
        self.codec = codec
        self.expected: deque[tuple[str, bytes]] = deque()
        self.recorded = DecisionDigest()
        self.replayed = DecisionDigest()
        self.inputs = 0
        self.divergence: Divergence | None = None

    def input(self, record: StoredRecord, event: Event) -> None:
        """Hand a recorded input to the engine; what it decides is expected next in the log."""
        self.inputs += 1
        if self.expected:
            self._nothing_pending_before(record)
        decisions = self.engine.handle(event)
        if decisions:
            encode, expected, replayed = self.codec.encode, self.expected, self.replayed
            for decision in decisions:
                stored = encode(decision)
                replayed.add(decision.TOPIC, stored)
                expected.append((decision.TOPIC, stored))
            self.engine.outbox.clear()

    def decision(self, record: StoredRecord, event: Event) -> None:
        """A recorded decision: it must be the next one the engine made, byte for byte."""
        self.recorded.add(record.topic, record.state)
        if self.divergence is None:
            self.divergence = _compare(self.recorded.count, record, self.expected, self.codec, event)
        elif self.expected:
            self.expected.popleft()

    def undecodable(self, record: StoredRecord, error: Exception) -> None:
        """A stored event that does not decode: the comparison cannot go on past it."""
        if self.divergence is None:
            self.divergence = undecodable(self.recorded.count + 1, record, error)

    def finish(self, next_input: StoredRecord | None = None) -> None:
        """No decision may be left unrecorded: before ``next_input``, or at the end of the log."""
        if next_input is not None:
            self._nothing_pending_before(next_input)
        elif self.divergence is None and self.expected:
            self.divergence = Divergence(
                self.recorded.count, None, "(end of log)", f"unrecorded {self.expected[0][0]}"
            )

    def _nothing_pending_before(self, record: StoredRecord) -> None:
        if self.expected and self.divergence is None:
            self.divergence = _missing(
                self.recorded.count, record.notification_id, self.expected[0][0], record.topic
            )


def verify(
    log: EventLog, codec: Codec, page_size: int = 20_000, on_progress: Callable[[int], None] | None = None
) -> VerifyResult:
    """Replay ``log`` and compare; never raises on a divergence, reports it."""
    comparison: DecisionComparison | None = None
    for page in log.read_stored(0, page_size):
        for record in page:
            try:
                event = codec.decode(record.topic, record.state)
            except Exception as error:  # the codec's own error type lives in infrastructure
                if comparison is None:
                    empty = DecisionDigest().hexdigest()
                    return VerifyResult(0, 0, empty, empty, undecodable(1, record, error))
                comparison.undecodable(record, error)
                return _result(comparison)
            if comparison is None:
                if not isinstance(event, SessionStarted):
                    raise NotASessionLog(f"the log starts with {record.topic}, not a session configuration")
                comparison = DecisionComparison(engine_for(event), codec)
            if isinstance(event, AUDIT_RECORDS):
                continue
            if type(event).IS_INPUT:
                comparison.input(record, event)
            else:
                comparison.decision(record, event)
        if on_progress:
            on_progress(comparison.inputs if comparison is not None else 0)
    if comparison is None:
        return VerifyResult(0, 0, DecisionDigest().hexdigest(), DecisionDigest().hexdigest(), None)
    comparison.finish()
    return _result(comparison)


def _result(comparison: DecisionComparison) -> VerifyResult:
    return VerifyResult(
        comparison.inputs,
        comparison.recorded.count,
        comparison.recorded.hexdigest(),
        comparison.replayed.hexdigest(),
        comparison.divergence,
        comparison.engine.session.code_version,
    )


def undecodable(index: int, record: StoredRecord, error: Exception) -> Divergence:
    """The divergence of a stored event that does not decode (the log is corrupt there)."""
    return Divergence(
        index,
        record.notification_id,
        f"undecodable: {error}",
        "(replay stopped: the log is corrupt at this event)",
        record.topic,
    )


def _compare(
    index: int, record: StoredRecord, expected: deque[tuple[str, bytes]], codec: Codec, event: Event
) -> Divergence | None:
    notification_id, topic, state = record.notification_id, record.topic, record.state
    if not expected:
        return Divergence(
            index, notification_id, f"{topic} {event}", "nothing (the engine made no decision)", topic
        )
    want_topic, want = expected.popleft()
    if (want_topic, want) == (topic, state):
        return None
    replayed = codec.decode(want_topic, want)
    return Divergence(index, notification_id, f"{topic} {event}", f"{want_topic} {replayed}", topic)


def _missing(index: int, notification_id: int, topic: str, input_topic: str) -> Divergence:
    return Divergence(
        index + 1,
        notification_id,
        f"input {input_topic} (the decision is missing)",
        f"{topic} before that input",
        input_topic,
    )
