"""Running a session: inputs through the engine and the venue, everything into the log.

For each input, in order: the venue fills what the new prices allow (those
reports are recorded and handled first, as they happened at the bar's
open), then the input itself is recorded and handled, then orders the engine
approved are sent to the venue and its answers recorded and handled. The log
therefore holds inputs and decisions in exactly the order the engine saw and
made them, which is what replay relies on.

Inputs come in pages. While the engine is quiet for a bar's symbol (see
``Engine.quiet_slot``), a run of that symbol's bars goes through ``Engine.scan``
and the observer's ``after_bars`` in one call each, up to the first bar that
causes something: the same work, decisions and log as one bar at a time, without
a round of calls per bar. A page of a log's bars may come as a ``BarPage`` (closes,
whole bars decoded where asked): scans take its closes, and every other path the
whole bar. Where the page holds its closes as columns and every strategy scans
columns, the page has a loop of its own (``_run_columns``): scans over the columns,
the bars recorded by their source ids (a run of them as one ``range``), the marks
taken from the columns.

Commits are grouped (``batch_size`` events per transaction). With the
simulated venue nothing leaves the process, so an order is simulated in the
batch that records it; a venue outside the process gets an order only after
the batch holding its submission has committed (the outbox flushes first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from typing import cast

from application.engine.bar_pages import BarPage
from application.engine.engine import Engine, Input, StrategySlot
from application.ports import Codec, CountedBatch, EventLog, SimulatedExchange
from domain.events import AnyBar, Bar, BarClose, Event, SessionEnded, SessionStarted, StoredBar, VenueReport
from domain.ids import derive_id
from domain.market.columns import CloseColumns

_BARS = (StoredBar, Bar, BarClose)
"""The types a bar comes as (``type(event) in _BARS``: identity tests, the fastest)."""


class SessionObserver:
    """Sees every event of a session as it happens (reports, equity curves)."""

    def on_event(self, event: Event, engine: Engine, stored: bytes) -> None:
        """Called for every input but bars, and every decision, in log order, with its stored bytes."""

    def after_bar(self, bar: AnyBar, engine: Engine) -> None:
        """Called for every bar once the engine has finished with it."""

    def after_bars(self, inputs: Sequence[Input], start: int, stop: int, engine: Engine) -> None:
        """``after_bar`` for the bars ``inputs[start:stop]``, which the engine handled in one scan.

        The bars are as the page holds them: where it holds closes (``BarPage``), a scan's bars,
        and the last one given to ``after_bar``, are ``BarClose`` (symbol, time and close).

        Called once the scan is over: the engine is as after the scan's last bar (and any order
        it placed). Its cash and positions were the same after each bar of the run, so an
        observer of those (the report's) sees what ``after_bar`` would have shown bar by bar;
        one that reads other engine state bar by bar (``last_close``, orders, the risk engine's
        marks) sees the run's end state and must not rely on it."""
        after_bar, bars = self.after_bar, cast(Sequence[tuple[AnyBar, bytes | None]], inputs)
        for index in range(start, stop):
            after_bar(bars[index][0], engine)

    def after_closes(self, columns: CloseColumns, start: int, stop: int, engine: Engine, symbol: str) -> None:
        """``after_bars`` for a scan over a page's columns (``BarPage.columns``): the bars
        ``start:stop``, all of ``symbol``, as their times and closes (``BarClose``), under the
        same terms."""
        after_bar = self.after_bar
        for index in range(start, stop):
            close = BarClose(symbol=symbol, ts_event=columns.ts[index], close=columns.close(index))
            after_bar(cast(AnyBar, close), engine)


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


def symbol_runs(page: Sequence[Input]) -> list[int] | None:
    """For each input of ``page``, the end of the run of one symbol's bars it is in (its own index
    for an input that is not a bar); None when the whole page is one symbol's bars."""
    bars = cast(Sequence[tuple[AnyBar, object]], page)  # each checked before its symbol is read
    first = bars[0][0] if bars else None
    if first is not None and type(first) in _BARS:
        symbol = first.symbol
        if all(type(e) in _BARS and e.symbol == symbol for e, _ in bars):
            return None
    ends, end, current = [0] * len(bars), len(bars), None
    for index in range(len(bars) - 1, -1, -1):
        event = bars[index][0]
        if type(event) in _BARS:
            if event.symbol != current:
                end, current = index + 1, event.symbol
        else:
            end, current = index, None
        ends[index] = end
    return ends


def pages_of(inputs: Iterable[Input], size: int = PAGE) -> Iterator[list[Input]]:
    """``inputs`` in lists of ``size``."""
    iterator = iter(inputs)
    while page := list(islice(iterator, size)):
        yield page


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
        self._batch: list[tuple[Event, bytes | int | range]] = []
        """What the next commit appends: each event with its bytes, or a copied bar's source id, or
        a run of copied bars' consecutive source ids (``rows_in`` counts the rows)."""
        self._ranged = 0
        """Rows of the batch beyond one per item (the runs' lengths less one)."""
        self._last_ts = 0
        """The time of the last bar (the session ends then)."""
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

        ``scan=False`` hands every bar to the engine alone (the reference the scans are tested
        against). ``on_recorded`` is called once the last batch is handed to the log (a
        pipelined log may still be committing it: nothing here waits for it)."""
        self._record_input(self.session)
        handled = 0
        venue, quiet_slot = self.venue, self.engine.quiet_slot
        closes_only = scan and self.engine.risk is None  # the risk engine checks every bar's fields
        by_columns = closes_only and all(hasattr(slot.logic, "scan_columns") for slot in self.engine.slots)
        for given in pages:
            bar_at: Callable[[int], AnyBar] | None = None
            if isinstance(given, BarPage):  # one symbol's bars, each with what the log records
                if by_columns and given.columns is not None:
                    handled = self._run_columns(given, given.columns, handled, on_progress)
                    continue
                page = cast(Sequence[Input], given.entries) if closes_only else given.whole()
                bar_at = given.bar if closes_only else None
                encoded, runs = True, None
            else:
                page = given
                encoded = all(stored is not None for _, stored in page)
                runs = symbol_runs(page) if scan else None
            index, size = 0, len(page)
            while index < size:
                event, stored = page[index]
                if type(event) not in _BARS:
                    self._record_input(event, cast(bytes | None, stored))  # only bars are copied
                    index += 1
                elif scan and venue.idle() and (slot := quiet_slot(cast(AnyBar, event).symbol)) is not None:
                    stop = min(size if runs is None else runs[index], index + max(self._room(), 1))
                    end = self._scan(slot, page, index, stop, encoded, bar_at)
                    handled += end - index - 1
                    index = end
                else:
                    bar = cast(AnyBar, event) if bar_at is None else bar_at(index)
                    filled = self._venue_fills(bar)
                    if filled and scan and venue.idle() and (slot := quiet_slot(bar.symbol)) is not None:
                        # The fills left the engine quiet: the bar starts a scan, as after them.
                        stop = min(size if runs is None else runs[index], index + max(self._room(), 1))
                        end = self._scan(slot, page, index, stop, encoded, bar_at)
                        handled += end - index - 1
                        index = end
                    else:
                        self._bar_after_fills(bar, stored)
                        index += 1
                handled += 1
                self._commit_if_full(handled, on_progress)
        stream = derive_id("session-end", str(self.session.originator_id))
        self._record_input(
            SessionEnded(
                originator_id=stream, originator_version=1, ts_event=self._last_ts, reason="end of data"
            )
        )
        for report in self.venue.on_session_end():
            self._record_input(report)
        self._commit()
        if on_recorded is not None:
            on_recorded()
        self._result.inputs = self._result.events - self._result.decisions
        if on_progress:
            on_progress(handled)
        return self._result

    def _commit_if_full(self, handled: int, on_progress: Callable[[int], None] | None) -> None:
        """Commit the batch once it holds ``batch_size`` rows, and report the inputs handled."""
        if len(self._batch) + self._ranged >= self.batch_size:
            self._commit()
            if on_progress:
                on_progress(handled)

    def _room(self) -> int:
        """Events the batch takes before it commits."""
        return self.batch_size - len(self._batch) - self._ranged

    def _scan(
        self,
        slot: StrategySlot,
        page: Sequence[Input],
        start: int,
        stop: int,
        encoded: bool,
        bar_at: Callable[[int], AnyBar] | None,
    ) -> int:
        """A run of one symbol's bars through ``Engine.scan``, up to the first that causes something
        (recorded, with what it caused); the index after the last bar handled. ``bar_at`` gives
        the whole bar where the page holds closes (``BarPage``)."""
        engine, observer = self.engine, self.observer
        end, decisions = engine.scan(slot, page, start, stop, bar_at)
        if encoded:  # read from a log: the bytes come with the bars
            self._batch.extend(page[start:end])  # type: ignore[arg-type]  # none is None
        else:
            append, encode = self._batch.append, self.encode
            for bar, stored in page[start:end]:
                append((bar, encode(bar) if stored is None else stored))
        last = cast(AnyBar, page[end - 1][0])
        self.venue.on_bar(last)  # nothing rests at the venue: it notes the last close and time
        self._last_ts = last.ts_event
        if decisions:
            observer.after_bars(page, start, end - 1, engine)
            self._record_decisions(decisions)
            observer.after_bar(last, engine)
        else:
            observer.after_bars(page, start, end, engine)
        return end

    def _run_columns(
        self, page: BarPage, columns: CloseColumns, handled: int, on_progress: Callable[[int], None] | None
    ) -> int:
        """``run_pages``' loop over a page of one symbol's bars read as columns, for strategies that
        scan columns: the same steps, each scan over the columns (no bar decoded for it), every
        other bar decoded whole; the bars handled so far."""
        venue, quiet_slot, symbol, ids = self.venue, self.engine.quiet_slot, page.symbol, page.ids
        index, size = 0, len(page)
        while index < size:
            slot = quiet_slot(symbol) if venue.idle() else None
            if slot is None:
                bar = page.bar(index)
                if self._venue_fills(bar) and venue.idle():  # fills that leave the engine quiet:
                    slot = quiet_slot(symbol)  # the bar starts a scan, as after them
                if slot is None:
                    self._bar_after_fills(bar, ids[index])
            if slot is not None:
                end = self._scan_columns(slot, page, columns, index, min(size, index + max(self._room(), 1)))
                handled += end - index - 1
                index = end
            else:
                index += 1
            handled += 1
            self._commit_if_full(handled, on_progress)
        return handled

    def _scan_columns(
        self, slot: StrategySlot, page: BarPage, columns: CloseColumns, start: int, stop: int
    ) -> int:
        """``_scan`` over a page's columns (``Engine.scan_columns``): the bars are recorded by their
        source ids, and observed as columns."""
        engine, observer = self.engine, self.observer
        end, decisions = engine.scan_columns(slot, columns, start, stop, page.bar)
        ids = page.ids
        first, count = ids[start], end - start
        if ids[end - 1] - first == count - 1:  # consecutive in the source: one run
            self._batch.append((None, range(first, first + count)))  # type: ignore[arg-type]  # copies
            self._ranged += count - 1
        else:
            self._batch.extend(zip(repeat(None), ids[start:end]))  # type: ignore[arg-type]
        # The last bar as its close (symbol, time, close: all asked of it here), the close the
        # engine's scan has just read from the columns.
        symbol = page.symbol
        last = cast(
            AnyBar, BarClose(symbol=symbol, ts_event=columns.ts[end - 1], close=engine.last_close[symbol])
        )
        self.venue.on_bar(last)  # nothing rests at the venue: it notes the last close and time
        self._last_ts = last.ts_event
        if decisions:
            observer.after_closes(columns, start, end - 1, engine, symbol)
            self._record_decisions(decisions)
            observer.after_bar(last, engine)
        else:
            observer.after_closes(columns, start, end, engine, symbol)
        return end

    def _venue_fills(self, bar: AnyBar) -> bool:
        """The venue's fills on ``bar`` (what it does before the engine sees the bar), recorded and
        handled; whether there were any."""
        reports = self.venue.on_bar(bar)
        for report in reports:
            self._record_input(report)
        return bool(reports)

    def _bar_after_fills(self, bar: AnyBar, stored: bytes | int | None) -> None:
        """One bar after the venue's fills on it: the bar, what it causes, and the marks."""
        self._last_ts = bar.ts_event
        self._batch.append((bar, self.encode(bar) if stored is None else stored))
        decisions = self.engine.on_bar(bar)
        if decisions:
            self._record_decisions(decisions)
        self.observer.after_bar(bar, self.engine)

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
            rows = len(self._batch) + self._ranged
            batch = CountedBatch(self._batch, rows)  # its rows counted here, not item by item again
            self._batch, self._ranged = [], 0
            self._result.events += rows
            # Copied bars (a source id, not bytes) only go to a log whose writer copies them.
            self._result.last_notification_id = self.log.append_encoded(batch)
