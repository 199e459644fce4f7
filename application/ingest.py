"""Ingesting market data into the log: validate every row, keep the good, record the bad.

Rows are validated before anything is stored. Accepted rows become input
events in the data stream; refused rows become ``MarketDataRejected`` in a
stream of their own, with the raw text and the reason. Events are committed
in groups (``batch_size`` per transaction). The last group carries a
``MarketDataImported`` event whose id is derived from the source's digest,
so importing the same source twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from application.errors import NothingValidToIngest
from application.ports import EventLog
from domain.errors import InvalidMarketData
from domain.events import Event, MarketDataImported, MarketDataRejected
from domain.events.market import DataKind, MarketEvent
from domain.ids import ImportId, StreamId, Symbol, Venue, import_id, market_stream_id
from domain.market.rows import PARSERS, Row

MAX_RAW_CHARS = 4_096


@dataclass(frozen=True)
class SourceRow:
    """One row of a source: its line number, its fields in canonical order, its raw text, and
    why the source could not split it into fields (then it is refused as ``malformed_row``)."""

    line: int
    fields: Row
    raw: str
    problem: str | None = None


@dataclass(frozen=True)
class Source:
    """Where rows come from: a name for people and a content digest for idempotence."""

    name: str
    digest: str
    rows: Iterable[SourceRow]


@dataclass(frozen=True)
class IngestRequest:
    """What to ingest and where it belongs."""

    kind: DataKind
    venue: Venue
    symbol: Symbol
    batch_size: int = 5_000


@dataclass
class IngestReport:
    """What an ingestion did; ``already_imported`` means the source was there before."""

    stream_id: StreamId
    source: str
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    first_ts_event: int | None = None
    last_ts_event: int | None = None
    already_imported: bool = False
    last_notification_id: int = 0

    @property
    def rejected_total(self) -> int:
        """Rows refused, all reasons together."""
        return sum(self.rejected.values())


def ingest(
    log: EventLog,
    request: IngestRequest,
    source: Source,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Validate and store every row of ``source``; raise NothingValidToIngest if none passed.

    ``on_progress`` is called with the number of rows handled after each commit.
    """
    stream = market_stream_id(request.venue, request.symbol, request.kind)
    marker_id = import_id(stream, source.digest)
    report = IngestReport(stream_id=stream, source=source.name)
    previous = log.stream_head(marker_id)
    if isinstance(previous, MarketDataImported):
        return _report_of_previous_import(previous, report, log)

    rejections = rejection_stream_id(request)
    head = log.stream_head(stream)
    validated = ValidatedRows(request, source.name, head, log.stream_head(rejections))
    validated.parser.remember(_stored_at_head_timestamp(log, stream, head))
    batch: list[Event] = []
    handled = 0
    for event in validated.events(source.rows):
        handled += 1
        batch.append(event)
        if len(batch) >= request.batch_size:
            report.last_notification_id = log.append(batch)
            batch = []
            if on_progress:
                on_progress(handled)
    report.accepted, report.rejected = validated.accepted, validated.rejected
    report.first_ts_event = validated.first_ts_event
    report.last_ts_event = validated.parser.last_ts_event if report.accepted else None

    batch.append(_imported_marker(marker_id, stream, request, source, report))
    report.last_notification_id = log.append(batch)
    if on_progress:
        on_progress(handled)
    if report.accepted == 0:
        raise NothingValidToIngest(
            f"no valid row in {source.name}: {report.rejected_total} refused "
            f"({_reasons(report.rejected)}); the refusals are recorded in the log",
            report,
        )
    return report


def rejection_stream_id(request: IngestRequest) -> StreamId:
    """The stream where refused rows of this kind and instrument are recorded."""
    return market_stream_id(request.venue, request.symbol, f"{request.kind}.rejected")


class ValidatedRows:
    """Rows of one source as events: the valid as market data, the rest as refusals.

    Continues the data stream after ``head`` and the refusal stream after
    ``rejected_head`` (versions and the time order both carry on).
    """

    def __init__(
        self, request: IngestRequest, source_name: str, head: Event | None, rejected_head: Event | None
    ) -> None:
        self.request = request
        self.source_name = source_name
        self.stream = market_stream_id(request.venue, request.symbol, request.kind)
        self.rejections = rejection_stream_id(request)
        self.parser = PARSERS[request.kind](
            request.venue, request.symbol, self.stream, getattr(head, "ts_event", None)
        )
        self.version = head.originator_version if head else 0
        self.rejected_version = rejected_head.originator_version if rejected_head else 0
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.first_ts_event: int | None = None

    def events(self, rows: Iterable[SourceRow]) -> Iterator[Event]:
        """One event per row, in row order."""
        request, parser = self.request, self.parser
        for row in rows:
            try:
                if row.problem is not None:
                    raise InvalidMarketData("malformed_row", row.problem)
                event = parser.parse(row.fields, self.version + 1)
            except InvalidMarketData as refusal:
                self.rejected_version += 1
                self.rejected[refusal.reason] += 1
                yield MarketDataRejected(
                    originator_id=self.rejections,
                    originator_version=self.rejected_version,
                    venue=request.venue,
                    symbol=request.symbol,
                    kind=request.kind,
                    source=self.source_name,
                    line=row.line,
                    raw=row.raw[:MAX_RAW_CHARS],
                    reason=refusal.reason,
                    message=refusal.message,
                    ts_event=parser.timestamp_or_none(row.fields),
                )
            else:
                self.version += 1
                self.accepted += 1
                if self.first_ts_event is None:
                    self.first_ts_event = parser.last_ts_event
                yield event


def _stored_at_head_timestamp(log: EventLog, stream: StreamId, head: Event | None) -> list[MarketEvent]:
    """The stream's stored events with its head's timestamp (read back from the head), so a
    continuing import can tell a repeat of them from a new event at that time."""
    if head is None:
        return []
    found: list[MarketEvent] = []
    upto = head.originator_version
    while upto > 0:
        after = max(0, upto - 256)
        chunk = [r.event for r in log.read_stream(stream, after, upto)]
        same = [
            e for e in chunk if isinstance(e, MarketEvent) and e.ts_event == getattr(head, "ts_event", None)
        ]
        found += same
        if len(same) < len(chunk):
            break
        upto = after
    return found


def _report_of_previous_import(
    previous: MarketDataImported, report: IngestReport, log: EventLog
) -> IngestReport:
    report.already_imported = True
    report.accepted = previous.accepted
    report.rejected.update(dict(previous.rejected))
    report.first_ts_event = previous.first_ts_event
    report.last_ts_event = previous.last_ts_event
    report.last_notification_id = log.last_notification_id()
    return report


def _imported_marker(
    marker_id: ImportId,
    stream: StreamId,
    request: IngestRequest,
    source: Source,
    report: IngestReport,
) -> MarketDataImported:
    return MarketDataImported(
        originator_id=marker_id,
        originator_version=1,
        stream_id=stream,
        venue=request.venue,
        symbol=request.symbol,
        kind=request.kind,
        source=source.name,
        source_digest=source.digest,
        accepted=report.accepted,
        rejected=tuple(sorted(report.rejected.items())),
        first_ts_event=report.first_ts_event,
        last_ts_event=report.last_ts_event,
    )


def _reasons(rejected: Counter[str]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in sorted(rejected.items()))
