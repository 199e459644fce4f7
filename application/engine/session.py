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

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from application.engine.engine import Engine
from application.ports import EventLog, SimulatedExchange
from domain.events import Bar, Event, SessionEnded, SessionStarted, VenueReport
from domain.ids import derive_id


class SessionObserver:
    """Sees every event of a session as it happens (reports, equity curves)."""

    def on_event(self, event: Event, engine: Engine) -> None:
        """Called for every input and decision, in log order."""

    def after_bar(self, bar: Bar, engine: Engine) -> None:
        """Called once the engine has finished with a bar."""


@dataclass
class SessionResult:
    """How many events the session recorded and the last notification id."""

    events: int
    inputs: int
    decisions: int
    last_notification_id: int


class SessionRunner:
    """Drives one session of the engine against a simulated venue, recording into a log."""

    def __init__(
        self,
        log: EventLog,
        session: SessionStarted,
        venue: SimulatedExchange,
        observer: SessionObserver | None = None,
        batch_size: int = 20_000,
    ) -> None:
        self.log = log
        self.session = session
        self.engine = Engine(session)
        self.venue = venue
        self.observer = observer or SessionObserver()
        self.batch_size = batch_size
        self._batch: list[Event] = []
        self._result = SessionResult(0, 0, 0, 0)

    def run(self, inputs: Iterable[Event], on_progress: Callable[[int], None] | None = None) -> SessionResult:
        """Record the session start, every input and what it causes, then the end."""
        self._record_input(self.session)
        last_ts = 0
        handled = 0
        for event in inputs:
            if isinstance(event, Bar):
                for report in self.venue.on_bar(event):
                    self._record_input(report)
                last_ts = event.ts_event
            self._record_input(event)
            if isinstance(event, Bar):
                self.observer.after_bar(event, self.engine)
            handled += 1
            if len(self._batch) >= self.batch_size:
                self._commit()
                if on_progress:
                    on_progress(handled)
        stream = derive_id("session-end", str(self.session.originator_id))
        self._record_input(
            SessionEnded(originator_id=stream, originator_version=1, ts_event=last_ts, reason="end of data")
        )
        for report in self.venue.on_session_end():
            self._record_input(report)
        self._commit()
        if on_progress:
            on_progress(handled)
        return self._result

    def _record_input(self, event: Event) -> None:
        self._batch.append(event)
        self._result.inputs += 1
        decisions = self.engine.handle(event)
        self.observer.on_event(event, self.engine)
        if decisions:
            for decision in decisions:
                self._batch.append(decision)
                self.observer.on_event(decision, self.engine)
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
            self._result.last_notification_id = self.log.append(self._batch)
            self._result.events += len(self._batch)
            self._batch = []
