"""Ingestion and read-back throughput against raw baselines measured in the same run.

    python bench/ingest.py [--rows 1000000] [--batch 10000] [--skip-memory] [--rounds 3] [--chain-only]

The hash chain's cost: the same CSV ingested with the chain off and with it on,
alternating in fresh stores, best of ``--rounds`` each.

PostgreSQL: the server from DATABASE_URL/POSTGRES_* or 127.0.0.1:5432, in a
throwaway database dropped at the end. SQLite: a temporary file.
Figures (events/s) are for this machine at this moment; compare the ratios.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import msgspec
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.ingest import IngestRequest, ingest
from domain.events import ALL_EVENT_TYPES, TradeTick
from domain.ids import Symbol, Venue, market_stream_id
from infrastructure.bootstrap import bulk_appender, extend_chain, migrate, open_ledger
from infrastructure.config import Settings, load_settings
from infrastructure.feeds.csv_source import csv_source
from infrastructure.store.codec import EventCodec

VENUE, SYMBOL = Venue("kraken"), Symbol("BTC/USD")
STREAM = market_stream_id(VENUE, SYMBOL, "trade")
T0 = 1_704_067_200_000_000_000


def ticks(count: int) -> list[TradeTick]:
    return [
        TradeTick(
            originator_id=STREAM,
            originator_version=i + 1,
            venue=VENUE,
            symbol=SYMBOL,
            ts_event=T0 + i * 1_000_000,
            ts_recv=T0 + i * 1_000_000 + 350_000,
            price=Decimal(f"{42000 + (i % 997) * 0.25:.2f}"),
            size=Decimal(f"0.{(i * 7919) % 99991:05d}"),
            aggressor="buy" if i % 3 else "sell",
            trade_id=f"T{i:012d}-{i % 10}",
        )
        for i in range(count)
    ]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "price", "amount", "side", "trade_id"])
        for i in range(count):
            out.writerow(
                [
                    f"{(T0 + i * 1_000_000) // 1_000_000}",
                    f"{42000 + (i % 997) * 0.25:.2f}",
                    f"0.{(i * 7919) % 99991:05d}",
                    "buy" if i % 3 else "sell",
                    f"T{i:012d}-{i % 10}",
                ]
            )


def rate(label: str, count: int, seconds: float) -> float:
    per_second = count / seconds
    print(f"  {label:<58} {per_second:>12,.0f} events/s  ({seconds:6.2f} s)")
    return per_second


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def batches(items: list[TradeTick], size: int) -> Iterator[list[TradeTick]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pg_settings(dbname: str, schema: str = "bench") -> Settings:
    return load_settings(
        {**os.environ, "POSTGRES_DBNAME": dbname, "POSTGRES_SCHEMA": schema}, store="postgres"
    )


def admin_conninfo() -> str:
    return (
        load_settings(os.environ, store="postgres")
        .postgres.conninfo()
        .replace("dbname=memesnipe", "dbname=postgres")
    )


BARE_TABLE = "CREATE TABLE {} (originator_id uuid, originator_version bigint, topic text, state bytea)"
SHAPED_TABLE = (
    "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
    "topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version)); "
    "CREATE UNIQUE INDEX ON {} (notification_id)"
)


def raw_copy(conninfo: str, ddl: str, payloads: list[tuple[uuid.UUID, int, str, bytes]], batch: int) -> float:
    """Plain psycopg binary COPY, one transaction per batch, no lock, no NOTIFY."""
    table = f"raw_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(ddl.format(table, table).encode())
        columns = "originator_id, originator_version, topic, state"
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"

        def copy_all() -> None:
            for start in range(0, len(payloads), batch):
                with conn.transaction(), conn.cursor() as cur, cur.copy(statement.encode()) as copy:
                    copy.set_types(["uuid", "int8", "text", "bytea"])
                    for row in payloads[start : start + batch]:
                        copy.write_row(row)

        return timed(copy_all)


def raw_select_decode(conninfo: str, table: str, page: int) -> tuple[int, float]:
    decoders = {t: msgspec.msgpack.Decoder(c) for t, c in ALL_EVENT_TYPES.items()}
    count = 0
    with psycopg.connect(conninfo) as conn:
        start = time.perf_counter()
        after = 0
        while True:
            rows = (
                conn.cursor(binary=True)
                .execute(
                    sql.SQL(
                        "SELECT notification_id, topic, state FROM {} WHERE notification_id > %s "
                        "ORDER BY notification_id LIMIT %s"
                    ).format(sql.Identifier("bench", table)),
                    (after, page),
                )
                .fetchall()
            )
            if not rows:
                break
            decoded = [decoders[row[1]].decode(row[2]) for row in rows]
            count += len(decoded)
            after = rows[-1][0]
        return count, time.perf_counter() - start


def raw_sqlite_select_decode(path: Path, page: int) -> tuple[int, float]:
    import sqlite3

    decoders = {t: msgspec.msgpack.Decoder(c) for t, c in ALL_EVENT_TYPES.items()}
    conn = sqlite3.connect(path)
    count, after = 0, 0
    start = time.perf_counter()
    while rows := conn.execute(
        "SELECT rowid, topic, state FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, page)
    ).fetchall():
        decoded = [decoders[row[1]].decode(row[2]) for row in rows]
        count += len(decoded)
        after = rows[-1][0]
    elapsed = time.perf_counter() - start
    conn.close()
    return count, elapsed


def read_all(settings: Settings, page: int) -> tuple[int, float]:
    with open_ledger(settings) as store:
        start = time.perf_counter()
        count = sum(len(p) for p in store.log.read(0, page))
        return count, time.perf_counter() - start


def csv_ingest(settings: Settings, path: Path, batch: int, chained: bool = True) -> tuple[int, float]:
    request = IngestRequest("trade", VENUE, Symbol("ETH/USD"), batch)
    with open_ledger(settings, chained=chained) as store:
        start = time.perf_counter()
        with bulk_appender(store) as appender:  # as `memesnipe ingest` appends
            report = ingest(appender, request, csv_source(path, "trade"))
        return report.accepted, time.perf_counter() - start


def chain_costs(label: str, fresh: Callable[[str], Settings], path: Path, batch: int, rounds: int) -> None:
    """CSV ingest with the hash chain off (events appended unlinked) and on (each append links its
    batch in its own transaction, what `memesnipe ingest` does), alternating, each in a fresh store;
    the best of ``rounds`` each, since the machine's noise only ever slows a run."""
    best = {False: float("inf"), True: float("inf")}
    accepted = 0
    for round_ in range(rounds):
        for chained in (False, True):
            settings = fresh(f"chain_{'on' if chained else 'off'}_{round_}")
            migrate(settings)
            accepted, seconds = csv_ingest(settings, path, batch, chained)
            best[chained] = min(best[chained], seconds)
            if chained:
                with open_ledger(settings) as store:
                    assert store.log.chain_head()[0] == store.log.last_notification_id()  # type: ignore[attr-defined]
                    assert extend_chain(store.log) == 0
    off_rate = rate(f"{label}: ingest trades CSV, hash chain off (best of {rounds})", accepted, best[False])
    on_rate = rate(f"{label}: the same, every append linked (best of {rounds})", accepted, best[True])
    print(f"  cost of the hash chain: {(1 - on_rate / off_rate) * 100:.1f}% of ingestion throughput")


def peak_memory_of_csv_ingest(path: Path, data_dir: Path) -> float:
    """Peak RSS (VmHWM, which unlike ru_maxrss is not inherited across exec) of a fresh process."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "from bench.ingest import csv_ingest; from infrastructure.config import load_settings;"
        "s = load_settings({}, store='sqlite', data_dir=Path(sys.argv[2]));"
        "csv_ingest(s, Path(sys.argv[1]), 10_000);"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(data_dir), str(Path(__file__).resolve().parents[1])],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def pg_figures(
    pg: Settings,
    payloads: list[tuple[uuid.UUID, int, str, bytes]],
    events: list[TradeTick],
    csv_path: Path,
    batch: int,
    page: int,
) -> None:
    """Append, CSV ingest and read-back against raw COPY and raw SELECT."""
    n = len(events)
    conninfo = pg.postgres.conninfo()
    bare_rate = rate(
        "raw COPY, same payloads, bare table (no keys)",
        n,
        raw_copy(conninfo, BARE_TABLE, payloads, batch),
    )
    copy_rate = rate(
        "raw COPY, same payloads, table shaped like ledger_events",
        n,
        raw_copy(conninfo, SHAPED_TABLE, payloads, batch),
    )
    with open_ledger(pg) as store:
        append_rate = rate(
            "EventLog.append (encode + lock + COPY + NOTIFY)",
            n,
            timed(lambda: [store.log.append(b) for b in batches(events, batch)]),
        )
    accepted, seconds = csv_ingest(pg, csv_path, batch)
    ingest_rate = rate("ingest trades CSV (parse + validate + encode + append)", accepted, seconds)
    print(
        f"  ratio append / raw COPY: {append_rate / copy_rate:.0%} (shaped), "
        f"{append_rate / bare_rate:.0%} (bare)"
    )
    print(
        f"  ratio CSV ingest / raw COPY: {ingest_rate / copy_rate:.0%} (shaped), "
        f"{ingest_rate / bare_rate:.0%} (bare)"
    )
    count, seconds = raw_select_decode(pg.postgres.conninfo(), "ledger_events", page)
    raw_read = rate("raw SELECT + msgspec decode (baseline)", count, seconds)
    count, seconds = read_all(pg, page)
    log_read = rate("EventLog.read (pages, typed decode, RecordedEvent)", count, seconds)
    print(f"  ratio read / raw read: {log_read / raw_read:.0%}")


def sqlite_figures(tmp: Path, events: list[TradeTick], csv_path: Path, batch: int, page: int) -> None:
    """Append, CSV ingest and read-back against raw SELECT."""
    n = len(events)
    lite = load_settings({}, store="sqlite", data_dir=tmp / "sqlite")
    with open_ledger(lite) as store:
        rate(
            "EventLog.append (encode + executemany)",
            n,
            timed(lambda: [store.log.append(b) for b in batches(events, batch)]),
        )
    count, seconds = raw_sqlite_select_decode(lite.sqlite_path, page)
    raw_read = rate("raw SELECT + msgspec decode (baseline)", count, seconds)
    count, seconds = read_all(lite, page)
    log_read = rate("EventLog.read (pages, typed decode, RecordedEvent)", count, seconds)
    print(f"  ratio read / raw read: {log_read / raw_read:.0%}")
    lite_csv = load_settings({}, store="sqlite", data_dir=tmp / "sqlite_csv")
    accepted, seconds = csv_ingest(lite_csv, csv_path, batch)
    rate("ingest trades CSV (parse + validate + encode + append)", accepted, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=20_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="chain off/on rounds (best of each)")
    parser.add_argument("--chain-only", action="store_true", help="only the hash chain's cost")
    args = parser.parse_args()
    n = args.rows
    codec = EventCodec()
    events = ticks(n)
    payloads = [(e.originator_id, e.originator_version, e.TOPIC, codec.encode(e)) for e in events]
    size = sum(len(p[3]) for p in payloads) / n
    print(f"{n:,} trade ticks, {size:.0f} bytes each when encoded; batches of {args.batch:,}")
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-"))
    csv_path = tmp / "trades.csv"
    write_csv(csv_path, n)
    print(f"CSV: {csv_path.stat().st_size / 1e6:.0f} MB")

    dbname = f"memesnipe_bench_{os.getpid()}"
    admin = admin_conninfo()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        pg = pg_settings(dbname)
        migrate(pg)
        print("\nPostgreSQL")
        if not args.chain_only:
            pg_figures(pg, payloads, events, csv_path, args.batch, args.page)
        chain_costs(
            "PostgreSQL", lambda schema: pg_settings(dbname, schema), csv_path, args.batch, args.rounds
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))

    print("\nSQLite")
    if not args.chain_only:
        sqlite_figures(tmp, events, csv_path, args.batch, args.page)
    chain_costs(
        "SQLite",
        lambda name: load_settings({}, store="sqlite", data_dir=tmp / name),
        csv_path,
        args.batch,
        args.rounds,
    )

    if not args.skip_memory:
        peak = peak_memory_of_csv_ingest(csv_path, tmp / "sqlite_mem")
        print(f"\npeak memory (max RSS) of ingesting the {n:,}-row CSV into SQLite: {peak:.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
