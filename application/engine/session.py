"""Running a session: inputs through the engine and the venue, everything into the log.

For each input, in order: the venue fills what the new prices allow (those reports are
recorded and handled first, as they happened at the bar's open), then the input itself is
recorded and handled, then orders the engine approved are sent to the venue and its answers
recorded and handled. The log therefore holds inputs and decisions in exactly the order the
engine saw and made them, which is what replay relies on.

Bars come in runs of one symbol (``BarRun``: a page read from a log, or a stretch of a list of
inputs) and go through ``Engine.advance``, which takes as many of them as cause nothing in one
call, and the observer's ``after_bars``; every other input goes through ``Engine.handle``.
``scan=False`` hands every bar to ``Engine.handle`` alone: the reference that the bulk path
is tested against.

Commits are grouped (``batch_size`` rows per transaction). With the simulated venue nothing
leaves the process, so an order is simulated in the batch that records it; a venue outside
the process gets an order only after the batch holding its submission has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from application.engine.bar_pages import BarPage, BatchItem, Input, ListRun, symbol_runs
from application.engine.build import engine_for
from application.ports import Codec, CountedBatch, EventLog, SimulatedExchange
from domain.events import Bar, BarClose, Event, SessionEnded, SessionStarted, StoredBar, VenueReport
from domain.ids import derive_id
from domain.market.runs import BarRun
from domain.trading.book import AccountBook

_BARS = (StoredBar, Bar, BarClose)


class RecordedRun(BarRun, Protocol):
    """A run the runner can record: it says what the log appends for its bars."""

    def record(
        self, start: int, stop: int, batch: list[BatchItem], encode: Callable[[Event], bytes]
    ) -> int: ...


class SessionObserver:
    """Sees every event of a session as it happens (reports, equity curves)."""

    def on_event(self, event: Event, book: AccountBook, stored: bytes) -> None:
        """Called for every input but bars, and every decision, in log order, with its stored bytes."""

    def after_bars(self, run: BarRun, start: int, stop: int, book: AccountBook) -> None:
        """Called once the engine has finished with the bars ``start:stop`` of ``run``, which it
        took in one call: the book is as after the last of them. Its cash and holdings were the
        same after each (no fill happens inside a run), so an observer of those sees what it would
        have seen bar by bar."""


@dataclass
class SessionResult:
    """How many events the session recorded, and the notification id the log's last append
    returned (a pipelined log's is an earlier batch's: flush it for the last)."""

    events: int
    inputs: int
    decisions: int
    last_notification_id: int


PAGE = 20_000
"""Inputs per page when they come one by one (``run``)."""


def pages_of(inputs: Iterable[Input], size: int = PAGE) -> Iterator[list[Input]]:
    """``inputs`` in lists of ``size``."""
    iterator = iter(inputs)
    while page := list(islice(iterator, size)):
        yield page


def _is_bar(event: Event) -> bool:
    return type(event) in _BARS


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
        self.engine = engine_for(session)
        self.venue = venue
        self.observer = observer or SessionObserver()
        self.batch_size = batch_size
        self._batch: list[BatchItem] = []
        self._ranged = 0
        """Rows of the batch beyond one per item (copied runs' lengths less one)."""
        self._last_ts = 0
        """The time of the last bar (the session ends then)."""
        self._handled = 0
        self._on_progress: Callable[[int], None] | None = None
        self._result = SessionResult(0, 0, 0, 0)

    def run(self, inputs: Iterable[Input], on_progress: Callable[[int], None] | None = None) -> SessionResult:
        """``run_pages`` over ``inputs`` taken a page at a time."""
        return self.run_pages(pages_of(inputs), on_progress)

    def run_pages(
        self,
        pages: Iterable[Sequence[Input] | BarPage],
        on_progress: Callable[[int], None] | None = None,
        *,
        scan: bool = True,
        on_recorded: Callable[[], None] | None = None,
    ) -> SessionResult:
        """Record the session start, every input and what it causes, then the end.

        ``scan=False`` hands every bar to the engine alone (the reference the bulk path is tested
        against). ``on_recorded`` is called once the last batch is handed to the log (a
        pipelined log may still be committing it: nothing here waits for it)."""
        self._on_progress = on_progress
        self._record_input(self.session)
        for page in pages:
            if isinstance(page, BarPage):
                self._run_bars(page, scan)
                continue
            for start, stop, symbol in symbol_runs(page, _is_bar):
                if symbol is None:
                    event, stored = page[start]
                    self._record_input(event, stored if isinstance(stored, bytes) else None)
                    self._count(1)
                else:
                    self._run_bars(ListRun(page, start, stop - start, symbol), scan)
        self._end_session()
        if on_recorded is not None:
            on_recorded()
        self._result.inputs = self._result.events - self._result.decisions
        if on_progress:
            on_progress(self._handled)
        return self._result

    def _end_session(self) -> None:
        stream = derive_id("session-end", str(self.session.originator_id))
        self._record_input(
            SessionEnded(
                originator_id=stream, originator_version=1, ts_event=self._last_ts, reason="end of data"
            )
        )
        for report in self.venue.on_session_end():
            self._record_input(report)
        self._commit()

    def _run_bars(self, run: RecordedRun, scan: bool) -> None:
        """Every bar of ``run``: the venue's fills on it first while orders rest there, then the
        engine over as many bars as cause nothing, then what the last one caused."""
        engine, venue, observer, book = self.engine, self.venue, self.observer, self.engine.book
        index, size = 0, len(run)
        while index < size:
            if not venue.idle():
                for report in venue.on_bar(run.bar(index)):
                    self._record_input(report)
            if scan:
                stop = min(size if venue.idle() else index + 1, index + max(self._room(), 1))
                end, decisions = engine.advance(run, index, stop)
            else:
                end, decisions = index + 1, engine.handle(run.bar(index))
            self._ranged += run.record(index, end, self._batch, self.encode)
            if venue.idle():  # nothing rests there: it only notes the last close and time
                venue.on_bar(run.note(end - 1))
            self._last_ts = run.ts(end - 1)
            if decisions:
                observer.after_bars(run, index, end - 1, book)
                self._record_decisions(decisions)
                observer.after_bars(run, end - 1, end, book)
            else:
                observer.after_bars(run, index, end, book)
            self._count(end - index)
            index = end

    def _count(self, handled: int) -> None:
        """Count inputs handled; commit the batch once it holds ``batch_size`` rows."""
        self._handled += handled
        if len(self._batch) + self._ranged >= self.batch_size:
            self._commit()
            if self._on_progress:
                self._on_progress(self._handled)

    def _room(self) -> int:
        """Rows the batch takes before it commits."""
        return self.batch_size - len(self._batch) - self._ranged

    def _record_input(self, event: Event, stored: bytes | None = None) -> None:
        data = self.encode(event) if stored is None else stored
        self._batch.append((event, data))
        decisions = self.engine.handle(event)
        self.observer.on_event(event, self.engine.book, data)
        if decisions:
            self._record_decisions(decisions)

    def _record_decisions(self, decisions: Sequence[Event]) -> None:
        book = self.engine.book
        for decision in decisions:
            encoded = self.encode(decision)
            self._batch.append((decision, encoded))
            self.observer.on_event(decision, book, encoded)
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
            rows = len(self._batch) + self._ranged
            batch = CountedBatch(self._batch, rows)  # its rows counted here, not item by item again
            self._batch, self._ranged = [], 0
            self._result.events += rows
            # Copied bars (a source id, not bytes) only go to a log whose writer copies them.
            self._result.last_notification_id = self.log.append_encoded(batch)
