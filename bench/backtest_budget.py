"""The per-bar budget's stages of ``bench/backtest.py``: each part of a backtest run alone.

The engine alone (bars read beforehand, nothing stored, report built), the run log's writer
alone (its process fed the run's batches from memory, copying the bars from the store into a
new file), SQLite's inserts of the run's rows alone, and the budget they are printed as.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from application.backtest import BacktestConfig, BarsFromLog, run_backtest
from application.engine.bar_pages import BarPage, Input
from application.ports import AuditedEvent
from domain.events import Bar
from domain.ids import Symbol
from infrastructure.bootstrap import log_file_settings, migrate, open_ledger, run_settings
from infrastructure.store.codec import EventCodec
from infrastructure.store.sqlite_chain import insert_events
from infrastructure.store.sqlite_writer import CACHE_KIB, SQLiteWriterProcess
from infrastructure.store.stream_key import build_stream_key
from infrastructure.venues.simulated import SimulatedVenue


class _DecodedBars:
    """Pages of bars read beforehand as a backtest reads them (``BarPage``s of closes, each bar
    named by its id in the store): the engine without the store's reads."""

    def __init__(self, pages: list[BarPage]) -> None:
        self.read = pages

    def __iter__(self) -> Iterator[Input]:
        return (item for page in self.read for item in page.whole())

    def pages(self) -> Iterator[BarPage]:
        return iter(self.read)

    def description(self) -> dict[str, Any]:
        return {"source": "memory", "bars": sum(len(page) for page in self.read)}


class _DiscardingLog:
    """Takes the session's batches and keeps nothing: the engine without the run log's writer."""

    def __init__(self) -> None:
        self.count = 0

    def append_encoded(self, items: Sequence[tuple[object, bytes | int]]) -> int:
        self.count += len(items)
        return self.count

    def last_notification_id(self) -> int:
        return self.count


def as_backtests_read(log: Any, codec: EventCodec, symbol: Symbol) -> Iterator[BarPage]:
    """The bars as ``memesnipe backtest`` reads them from a SQLite store: pages of closes, each bar
    named by its id (its writer copies the rows), decoded whole only where asked."""
    bars = BarsFromLog(log, codec, symbol, "store", by_reference=True)
    return cast(Iterator[BarPage], bars.pages())


def engine_alone(pages: list[BarPage], config: BacktestConfig) -> float:
    """Seconds for the engine, venue, observer and report over bars already read."""
    start = time.perf_counter()
    run_backtest(
        _DiscardingLog(),  # type: ignore[arg-type]
        EventCodec(),
        config,
        _DecodedBars(pages),
        "memory",
        "bench",
        lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps),
    )
    return time.perf_counter() - start


class _Row:
    """What the writer reads of an event besides its bytes: stream, version, topic."""

    __slots__ = ("TOPIC", "originator_id", "originator_version")

    def __init__(self, record: AuditedEvent) -> None:
        self.originator_id = UUID(bytes=record.originator_id)
        self.originator_version = record.originator_version
        self.TOPIC = record.topic


def run_rows(run_log: Path) -> list[tuple[_Row, bytes]]:
    """A finished run's rows, each with its bytes."""
    with open_ledger(log_file_settings(run_log)) as run:
        return [(_Row(r), r.state) for page in run.log.audited_events() for r in page]


def as_sent(items: list[tuple[_Row, bytes]], source: Path) -> list[tuple[_Row, bytes | int]]:
    """The run's rows as its writer was sent them: each bar by its id in the source store."""
    database = sqlite3.connect(source)
    ids = {
        (originator, version): rowid
        for rowid, originator, version in database.execute(
            "SELECT rowid, originator_id, originator_version FROM stored_events WHERE topic = ?", (Bar.TOPIC,)
        )
    }
    database.close()
    return [
        (row, ids[(row.originator_id.hex, row.originator_version)] if row.TOPIC == Bar.TOPIC else state)
        for row, state in items
    ]


def writer_alone(items: list[tuple[_Row, bytes | int]], tmp: Path, source: Path) -> float:
    """Seconds for the run log's writer process (copy the bars from the source, insert, link,
    commit, build the key) fed the run's batches from memory, into a new file, as a run's."""
    target = tmp / "writer-alone"
    target.mkdir()
    settings = run_settings(target)
    migrate(settings, bulk_load=True)
    writer = SQLiteWriterProcess(str(settings.sqlite_path), None, source=str(source))
    start = time.perf_counter()
    for i in range(0, len(items), 20_000):
        writer.append_encoded(items[i : i + 20_000])  # type: ignore[arg-type]
    writer.build_stream_key()
    writer.close()
    seconds = time.perf_counter() - start
    shutil.rmtree(target)
    return seconds


def insert_alone(items: list[tuple[_Row, bytes]], tmp: Path) -> float:
    """Seconds for SQLite alone to insert ``items`` into the log's table and build its stream key
    at the end, as the writer does (same table, pragmas, statements and transactions; no pipe,
    no copying from the source, no hashing)."""
    target = tmp / "insert-alone"
    target.mkdir()
    settings = run_settings(target)
    migrate(settings, bulk_load=True)
    database = sqlite3.connect(str(settings.sqlite_path), isolation_level=None)
    database.execute("PRAGMA journal_mode=MEMORY")  # a new file the writer fills alone
    database.execute("PRAGMA synchronous=OFF")
    database.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    rows = [(e.originator_id.hex, e.originator_version, e.TOPIC, bytearray(s)) for e, s in items]
    start = time.perf_counter()
    cursor = database.cursor()
    for i in range(0, len(rows), 20_000):
        database.execute("BEGIN IMMEDIATE")
        insert_events(cursor, rows[i : i + 20_000])
        database.execute("COMMIT")
    database.execute("BEGIN IMMEDIATE")
    build_stream_key(cursor)
    database.execute("COMMIT")
    seconds = time.perf_counter() - start
    database.close()
    shutil.rmtree(target)
    return seconds


def print_budget(
    bars: int, peer_seconds: float | None, stages: dict[str, float], irreducible: dict[str, float]
) -> None:
    """Microseconds a bar may cost for each goal, what each stage costs, and the least CPU a bar
    needs whatever the engine does (the ``irreducible`` stages), spread over two cores."""
    print("\nper-bar budget (microseconds per bar, this run):")
    if peer_seconds is not None:
        print(f"  {'allowed for 1.5x backtesting.py':<72} {peer_seconds / bars / 1.5 * 1e6:8.2f}")
    print(f"  {'allowed for 120,000 bars/s':<72} {1e6 / 120_000:8.2f}")
    for label, seconds in stages.items():
        print(f"  {label:<72} {seconds / bars * 1e6:8.2f}")
    least = sum(irreducible.values()) / bars * 1e6
    print(f"  {'least CPU a bar needs: ' + ' + '.join(irreducible):<72} {least:8.2f}")
    print(
        f"  {'  ...spread perfectly over both cores':<72} {least / 2:8.2f}"
        f"  ({2e6 / least:,.0f} bars/s at best)"
    )
