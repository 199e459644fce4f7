"""Running a session: inputs through the engine and the venue, everything into the log.

For each input, in order: the venue fills what the new prices allow (those
reports are recorded and handled first, as they happened at the bar's
open), then the input itself is recorded and handled, then orders the engine
approved are sent to the venue and its answers recorded and handled. The log
therefore holds inputs and decisions in exactly the order the engine saw and
made them, which is what replay relies on.

Commits are grouped (``batch_size`` events per transaction). With the
simulated venue nothing leaves the process, so an order is simulated in the
batch that records it; a venue outside the process gets an order only after
the batch holding its submission has committed (the outbox flushes first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from application.engine.engine import Engine
from application.ports import Codec, EventLog, SimulatedExchange
from domain.events import Bar, Event, SessionEnded, SessionStarted, VenueReport
from domain.ids import derive_id


class SessionObserver:
    """Sees every event of a session as it happens (reports, equity curves)."""

    def on_event(self, event: Event, engine: Engine, stored: bytes) -> None:
        """Called for every input but bars, and every decision, in log order, with its stored bytes."""

    def after_bar(self, bar: Bar, engine: Engine) -> None:
        """Called for every bar once the engine has finished with it."""


@dataclass
class SessionResult:
    """How many events the session recorded and the last notification id."""

    events: int
    inputs: int
    decisions: int
    last_notification_id: int


Input = tuple[Event, bytes | None]
"""An input event and, when it was read from a log, its stored bytes (so it is not encoded again)."""


class SessionRunner:
    """Drives one session of the engine against a simulated venue, recording into a log."""

    def __init__(
        self,
        log: EventLog,
        codec: Codec,
        session: SessionStarted,
        venue: SimulatedExchange,
        observer: SessionObserver | None = None,
        batch_size: int = 20_000,
    ) -> None:
        self.log = log
        self.encode = codec.encode
        self.session = session
        self.engine = Engine(session)
        self.venue = venue
        self.observer = observer or SessionObserver()
        self.batch_size = batch_size
        self._batch: list[tuple[Event, bytes]] = []
        self._result = SessionResult(0, 0, 0, 0)

    def run(self, inputs: Iterable[Input], on_progress: Callable[[int], None] | None = None) -> SessionResult:
        """Record the session start, every input and what it causes, then the end."""
        self._record_input(self.session)
        last_ts = 0
        handled = 0
        venue_on_bar, after_bar, engine = self.venue.on_bar, self.observer.after_bar, self.engine
        on_bar, batch, encode, batch_size = engine.on_bar, self._batch, self.encode, self.batch_size
        batch_append = batch.append
        for event, stored in inputs:
            handled += 1
            if type(event) is not Bar:
                self._record_input(event, stored)
            else:  # the hot path: one bar, usually no report and no decision
                reports = venue_on_bar(event)
                if reports:
                    for report in reports:
                        self._record_input(report)
                last_ts = event.ts_event
                batch_append((event, encode(event) if stored is None else stored))
                decisions = on_bar(event)
                if decisions:
                    self._record_decisions(decisions)
                after_bar(event, engine)
            if len(batch) >= batch_size:
                self._commit()
                batch = self._batch
                batch_append = batch.append
                if on_progress:
                    on_progress(handled)
        stream = derive_id("session-end", str(self.session.originator_id))
        self._record_input(
            SessionEnded(originator_id=stream, originator_version=1, ts_event=last_ts, reason="end of data")
        )
        for report in self.venue.on_session_end():
            self._record_input(report)
        self._commit()
        self._result.last_notification_id = self.log.last_notification_id()
        self._result.inputs = self._result.events - self._result.decisions
        if on_progress:
            on_progress(handled)
        return self._result

    def _record_input(self, event: Event, stored: bytes | None = None) -> None:
        data = self.encode(event) if stored is None else stored
        self._batch.append((event, data))
        decisions = self.engine.handle(event)
        self.observer.on_event(event, self.engine, data)
        if decisions:
            self._record_decisions(decisions)

    def _record_decisions(self, decisions: Sequence[Event]) -> None:
        for decision in decisions:
            encoded = self.encode(decision)
            self._batch.append((decision, encoded))
            self.observer.on_event(decision, self.engine, encoded)
        self._result.decisions += len(decisions)
        self._dispatch()

    def _dispatch(self) -> None:
        outbox = self.engine.outbox
        while outbox:
            order = outbox.pop(0)
            reports: Iterable[VenueReport] = self.venue.submit(order)
            for report in reports:
                self._record_input(report)

    def _commit(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._result.events += len(batch)
            self._result.last_notification_id = self.log.append_encoded(batch)
