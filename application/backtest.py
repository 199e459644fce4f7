"""A backtest: the engine over recorded bars with the simulated venue, and its report.

The run's own log receives the session's configuration, every input bar (and
refused row) in the order the engine saw them, every venue report and every
decision, so ``replay verify`` needs nothing but that log. The report is a
pure function of (inputs, configuration, code version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import Any, Protocol, cast

import msgspec
import numpy as np

from application.engine.bar_pages import BarPage, Input
from application.engine.session import PAGE, SessionRunner, pages_of
from application.ingest import IngestRequest, Source, ValidatedRows
from application.ports import Codec, EventLog, PackedStates, SimulatedExchange
from application.reporting.equity_curve import EquityCurve
from application.reporting.iso_times import iso_timestamps, milliseconds_json
from application.reporting.observer import ReportObserver
from application.reporting.stats import compute_stats
from application.reporting.trades import RoundTrip
from application.threaded_digest import ThreadedSha256
from domain.events import Bar, BarClose, SessionStarted, StoredBar, StrategyConfig
from domain.ids import Symbol, Venue, derive_id
from domain.market.values import format_timestamp
from domain.risk.limits import RiskLimits
from domain.strategies import STRATEGIES, InvalidStrategyParams

_BPS = Decimal(10_000)


@dataclass(frozen=True)
class BacktestConfig:
    """What to run: instrument, strategy and its parameters, money and costs."""

    symbol: Symbol
    venue: Venue
    strategy: str
    params: tuple[tuple[str, str], ...]
    cash: Decimal
    fee_bps: Decimal = Decimal(0)
    slippage_bps: Decimal = Decimal(0)
    close_at_end: bool = False
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    trailing_stop_pct: Decimal | None = None
    account: str = "backtest"
    limits: RiskLimits | None = None
    """The full risk engine's limits; None for the basic gate only (cash and position)."""

    def session(self, source: str, code_version: str) -> SessionStarted:
        """The session configuration event; its id is derived from everything it holds."""
        logic = STRATEGIES.get(self.strategy)
        if logic is None:
            raise InvalidStrategyParams(
                f"unknown strategy {self.strategy!r}; available: {', '.join(sorted(STRATEGIES))}"
            )
        logic(dict(self.params))  # refuse bad parameters before anything is recorded
        strategy = StrategyConfig(
            strategy_id=f"{self.strategy}:{self.symbol}",
            name=self.strategy,
            version=logic.version,
            symbol=self.symbol,
            params=self.params,
            stop_loss_pct=self.stop_loss_pct,
            take_profit_pct=self.take_profit_pct,
            trailing_stop_pct=self.trailing_stop_pct,
        )
        fingerprint = repr((self, source, code_version))
        return SessionStarted(
            originator_id=derive_id("session", hashlib.sha256(fingerprint.encode()).hexdigest()),
            originator_version=1,
            mode="backtest",
            account=self.account,
            currency="USD",
            starting_cash=self.cash,
            venue=self.venue,
            fee_rate=self.fee_bps / _BPS,
            slippage_bps=self.slippage_bps,
            close_at_end=self.close_at_end,
            strategies=(strategy,),
            code_version=code_version,
            limits=self.limits.validated() if self.limits else None,
        )


@dataclass
class BacktestReport:
    """The report: trades, equity curve, statistics, digest, where the log is."""

    config: BacktestConfig
    session: SessionStarted
    inputs: dict[str, Any]
    trades: list[RoundTrip]
    open_positions: list[RoundTrip]
    timestamps: Sequence[int]
    equity: EquityCurve
    stats: dict[str, Any]
    digest: str
    decisions: int
    denials: dict[str, int] = field(default_factory=dict)
    breakers: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    _document: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _json: bytes | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The document of the report, ready for ``msgspec.json`` (Decimal as exact strings: the
        equity curve's values as their exact texts, ``EquityCurve.values``), times as ISO-8601
        UTC. Built at the first call and kept (a long run's is costly to build): change
        nothing in a report after."""
        if self._document is None:
            self._document = self._build_document()
        return self._document

    def to_json(self) -> bytes:
        """The document as JSON (kept too: a backtest makes it while its log's writer finishes
        rather than after). The equity curve's values are written by the curve itself
        (``EquityCurve.json``: the same texts, without a str or Decimal made for each), so this
        does not build ``to_dict``'s document."""
        if self._json is None:
            values = msgspec.Raw(self.equity.json())
            times = msgspec.Raw(milliseconds_json(self.timestamps))
            document = self._document
            if document is None:
                document = self._build_document(values, times)
            else:  # built already: the same document, the curve as the curve writes its values
                document = {**document, "equity": {"time_ms": times, "value": values}}
            self._json = msgspec.json.encode(document)
        return self._json

    def _build_document(self, values: object = None, times: object = None) -> dict[str, Any]:
        return {
            "run": {
                "session_id": str(self.session.originator_id),
                "symbol": self.config.symbol,
                "venue": self.config.venue,
                "strategy": self.config.strategy,
                "params": dict(self.config.params),
                "cash": str(self.config.cash),
                "fee_bps": str(self.config.fee_bps),
                "slippage_bps": str(self.config.slippage_bps),
                "close_at_end": self.config.close_at_end,
                "risk": msgspec.to_builtins(self.config.limits) if self.config.limits else "basic",
                "code_version": self.session.code_version,
                "inputs": self.inputs,
            },
            "trades": _trips(self.trades),
            "open_positions": _trips(self.open_positions),
            "equity": {
                "time_ms": (np.asarray(self.timestamps, dtype=np.int64) // 1_000_000).tolist()
                if times is None
                else times,
                # the values' exact texts, or (``to_json``) their JSON array as the curve writes it
                "value": self.equity.values if values is None else values,
            },
            "stats": self.stats,
            "denials": self.denials,
            "breakers": self.breakers,
            "digest": self.digest,
            "decisions": self.decisions,
            "log": self.log,
            **self.extras,
        }


def _trips(trips: Sequence[RoundTrip]) -> list[dict[str, Any]]:
    # The times formatted together (``iso_timestamps``), not one datetime at a time.
    entries = iso_timestamps([t.entry_time for t in trips])
    exits = iter(iso_timestamps([t.exit_time for t in trips if t.exit_time is not None]))
    return [
        {
            "strategy_id": trip.strategy_id,
            "symbol": trip.symbol,
            "entry_time": entry,
            "entry_price": str(trip.entry_price),
            "exit_time": next(exits) if trip.exit_time is not None else None,
            "exit_price": str(trip.exit_price) if trip.exit_price is not None else None,
            "size": str(trip.size),
            "pnl": str(trip.pnl),
            "fees": str(trip.fees),
        }
        for trip, entry in zip(trips, entries, strict=True)
    ]


class BacktestInputs(Protocol):
    """Where a backtest's input events come from (each with its stored bytes, when known)."""

    def __iter__(self) -> Iterator[Input]: ...

    def pages(self) -> Iterator[Sequence[Input] | BarPage]:
        """The same inputs, a page at a time."""
        ...

    def description(self) -> dict[str, Any]:
        """Where the inputs came from, for the report and the manifest."""
        ...


class BarsFromRows:
    """Bars (and refusals) from a source's rows, validated like any ingestion."""

    def __init__(self, source: Source, venue: Venue, symbol: Symbol) -> None:
        self.source = source
        self.rows = ValidatedRows(IngestRequest("bar", venue, symbol), source.name, None, None)

    def __iter__(self) -> Iterator[Input]:
        for event in self.rows.events(self.source.rows):
            yield event, None

    def pages(self) -> Iterator[Sequence[Input]]:
        """The inputs in pages."""
        return pages_of(self)

    def description(self) -> dict[str, Any]:
        """Where the inputs came from (after the run: with counts)."""
        return {
            "source": self.source.name,
            "sha256": self.source.digest,
            "bars": self.rows.accepted,
            "rejected": dict(sorted(self.rows.rejected.items())),
        }


def _decoded(closes: list[BarClose]) -> Callable[[Sequence[bytes]], list[BarClose]]:
    # A page's closes decoded already (to see which bars are the symbol's).
    return lambda _: closes


class BarsFromLog:
    """The bars of one symbol from an existing log, digested as stored.

    ``by_reference``: pages are ``BarPage``s, each bar named by its notification id in this log
    instead of its bytes, for a run log whose writer copies the rows from here itself
    (``SQLiteWriterProcess``'s ``source``), read as columns where the codec can, and decoded
    whole only where asked; otherwise lists of whole bars (``StoredBar``) with their bytes."""

    def __init__(
        self, log: EventLog, codec: Codec, symbol: Symbol, name: str, *, by_reference: bool = False
    ) -> None:
        self.log, self.codec, self.symbol, self.name = log, codec, symbol, name
        self.by_reference = by_reference
        self.hash = ThreadedSha256()
        """SHA-256 over the stored bytes of the bars read, in order (hashed beside the engine)."""
        self.count = 0

    def __iter__(self) -> Iterator[Input]:
        for page in self.pages():
            yield from page.whole() if isinstance(page, BarPage) else page

    def pages(self) -> Iterator[Sequence[Input] | BarPage]:
        """The symbol's bars, a page of the log at a time (read back as ``StoredBar``, or in
        ``BarPage``s: read as columns where the codec can, else each bar decoded as its close)."""
        decode, topic, symbol = self.codec.decode_many, Bar.TOPIC, self.symbol
        as_type: type[StoredBar | BarClose] = BarClose if self.by_reference else StoredBar
        whole = self.codec.decoder(topic, StoredBar)
        close_columns = self.codec.close_columns
        symbol_of = attrgetter("symbol")
        for ids, states in self.log.read_states(topic, 0, PAGE):
            if self.by_reference and (columns := close_columns(states, symbol)) is not None:
                # Every bar of the page is this symbol's, and its close is read from the columns.
                self.hash.update(states.blob if isinstance(states, PackedStates) else b"".join(states))
                self.count += len(ids)
                yield BarPage(symbol, ids, states, whole, partial(decode, topic, as_type=BarClose), columns)
                continue
            bars = decode(topic, states, as_type)
            if set(map(symbol_of, bars)) != {symbol}:  # a log of several symbols: this one's
                mine = [index for index, bar in enumerate(bars) if bar.symbol == symbol]
                bars, states, ids = [bars[i] for i in mine], [states[i] for i in mine], [ids[i] for i in mine]
            self.hash.update(b"".join(states))
            self.count += len(bars)
            if not bars:
                continue
            if self.by_reference:
                yield BarPage(symbol, ids, states, whole, _decoded(cast(list[BarClose], bars)))
            else:
                yield list(zip(cast(list[StoredBar], bars), states, strict=True))
        self.hash.close()

    def description(self) -> dict[str, Any]:
        """The source log and the SHA-256 over the stored bytes of the bars used."""
        return {"source": self.name, "sha256_of_bars": self.hash.hexdigest(), "bars": self.count}


def run_backtest(
    log: EventLog,
    codec: Codec,
    config: BacktestConfig,
    inputs: BacktestInputs,
    source: str,
    code_version: str,
    venue_factory: Callable[[SessionStarted], SimulatedExchange],
    on_progress: Callable[[int], None] | None = None,
    after_session: Callable[[], None] | None = None,
) -> BacktestReport:
    """Run the session into ``log`` and build the report. ``after_session`` is called once the
    session's last batch is handed to the log, before the report is built (the end of a bulk
    load, which the log's writer then does while the report is built)."""
    session = config.session(source, code_version)
    observer = ReportObserver()
    runner = SessionRunner(log, codec, session, venue_factory(session), observer)
    runner.run_pages(inputs.pages(), on_progress, on_recorded=after_session)
    trades = observer.trades
    stats: dict[str, Any] = compute_stats(
        observer.timestamps,
        observer.equity,
        config.cash,
        trades.closed,
        observer.bars_in_market,
        curve=observer.equity.floats(),
    )
    stats["orders_sent"] = observer.orders_sent
    stats["market_data_refused"] = dict(sorted(observer.data_refused.items()))
    return BacktestReport(
        config=config,
        session=session,
        inputs=inputs.description(),
        trades=trades.closed,
        open_positions=list(trades.open.values()),
        timestamps=observer.timestamps,
        equity=observer.equity,
        stats=stats,
        digest=observer.digest.hexdigest(),
        decisions=observer.digest.count,
        denials=dict(sorted(observer.denials.items())),
        breakers=[
            {
                "time": format_timestamp(change.ts_event),
                "scope": change.scope,
                "from": change.before,
                "to": change.after,
                "reason": change.reason,
                "equity": str(change.equity),
            }
            for change in observer.breaker_changes
        ],
    )
