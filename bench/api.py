"""The read side's speed: projection catch-up, lag under live ingestion, API latency, as-of queries.

    python bench/api.py [--bars 800000] [--rate 5000] [--seconds 10] [--requests 500]
    python bench/api.py --catch-up-only RUN_DIR [--repeat 3] [--skip-postgres]

1. A backtest of N synthetic bars (sma_cross 10/20, trading often) writes a session log
   (about 1.27 events per bar: 800,000 bars is about a million events).
2. Catch-up: every projection rebuilt from that log into its views, SQLite and PostgreSQL
   (the log copied into a PostgreSQL schema first), in events of the log per second.
3. As-of queries over that log: positions, the equity curve's last point and an order
   blotter page as of a notification id and as of a timestamp (median and worst of 20);
   and the causation query for one order (first, middle, last), against one pass.
4. Lag: on PostgreSQL, bars appended at --rate events/s for --seconds while the projections
   follow the log (LISTEN/NOTIFY); lag = the follower's commit time minus the append's.
5. API: `memesnipe serve` (over the PostgreSQL views once settled by VACUUM ANALYZE and a
   CHECKPOINT after the rebuild, then over the SQLite run log) in its own process, load from a separate
   process on loopback at --requests requests/s (open loop: requests are sent on schedule
   whether or not earlier ones have answered), over five read routes; latency p50/p99, and the
   share of the CPUs the hypervisor took meanwhile (``steal``: on a shared VM the tail follows it).
`--catch-up-only RUN_DIR` times only step 2 over an existing run log (a copy of it, views dropped
first), `--repeat` times in a row on each store, to give a range on a noisy machine.
Figures are for this machine at this moment.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from functools import partial
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg
from psycopg import sql

from application.audit.causation import explain_order
from application.audit.causation_indexed import explain_order_from_views
from application.backtest import BacktestConfig
from application.ingest import IngestRequest, ingest
from application.read_models.as_of import notification_at
from application.read_models.ports import RowQuery
from application.read_models.runner import ProjectionRunner
from domain.events import Bar
from domain.ids import Symbol, Venue, derive_id
from infrastructure.api.keys import ApiKeyStore
from infrastructure.backtest_wiring import BacktestRequest, StoreBars, backtest_in_run_dir
from infrastructure.bootstrap import (
    log_file_settings,
    migrate,
    open_ledger,
    open_read_models,
)
from infrastructure.config import Settings, load_settings
from infrastructure.feeds.synthetic import SyntheticMarket
from infrastructure.read_models.background import BackgroundCommits
from infrastructure.read_models.follow import NotifyWaiter, follow
from infrastructure.runtime import bulk_work_gc
from projections import ALL, TABLES

SYMBOL, VENUE = Symbol("MEME/USD"), Venue("synthetic")
CONFIG = BacktestConfig(
    symbol=SYMBOL,
    venue=VENUE,
    strategy="sma_cross",
    params=(("fast", "10"), ("size", "10"), ("slow", "20")),
    cash=Decimal(10_000),
)
ROUTES = [
    "/v1/positions",
    "/v1/equity?order=desc&limit=100",
    "/v1/orders?limit=50",
    "/v1/breakers",
    "/v1/cash",
]


def percentile(ordered: list[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, nearest rank."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def pg_settings(schema: str) -> Settings:
    env = {**os.environ, "POSTGRES_SCHEMA": schema}
    env.setdefault("POSTGRES_DBNAME", "postgres")
    return load_settings(env, store="postgres")


def catch_up(label: str, settings: Settings) -> float:
    views = open_read_models(settings)
    with open_ledger(settings) as store, bulk_work_gc():
        total = store.log.last_notification_id()
        start = time.perf_counter()
        commits = BackgroundCommits(views)
        runner = ProjectionRunner(store.log, commits)
        batch = runner.run_once()
        commits.close()
        seconds = time.perf_counter() - start
    rate = total / seconds
    print(
        f"  catch-up {label}: {total:,} log events ({batch.events_read:,} read by projections, "
        f"{batch.versions_written:,} row versions) in {seconds:.1f} s = {rate:,.0f} events/s"
    )
    views.close()
    return rate


def settle(settings: Settings) -> None:
    """VACUUM ANALYZE the schema and CHECKPOINT, as autovacuum and the checkpointer would after a
    rebuild: the API is measured serving settled views, not racing the rebuild's maintenance."""
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.postgres.schema)))
        start = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        print(f"  (views vacuumed, analyzed and checkpointed in {time.perf_counter() - start:.1f} s)")


def reset_views(settings: Settings) -> None:
    views = open_read_models(settings)
    for projection in ALL:
        views.reset(projection.name, projection.tables)
    views.close()


def catch_up_only(run_dir: Path, repeat: int, skip_postgres: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-catch-up-"))
    shutil.copy(log_file_settings(run_dir).sqlite_path, tmp / "ledger.sqlite")
    local = log_file_settings(tmp)
    for _ in range(repeat):
        reset_views(local)
        catch_up("SQLite", local)
    if not skip_postgres:
        schema = f"bench_api_{uuid.uuid4().hex[:8]}"
        target = pg_settings(schema)
        migrate(target)
        copy_log(local, target)
        try:
            for _ in range(repeat):
                reset_views(target)
                catch_up("PostgreSQL", target)
        finally:
            with psycopg.connect(target.postgres.conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    shutil.rmtree(tmp, ignore_errors=True)


def copy_log(source: Settings, target: Settings) -> None:
    with open_ledger(source) as src, open_ledger(target) as dst:
        for page in src.log.read(page_size=20_000):
            dst.log.append([r.event for r in page])


def timed(action: object, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def as_of_queries(label: str, settings: Settings) -> None:
    views = open_read_models(settings)
    with open_ledger(settings) as store:
        head = store.log.last_notification_id()
        middle = head // 2
        [point] = views.rows(RowQuery(TABLES["rm_equity"], as_of=middle, newest_first=True, limit=1))
        ts = point.row.ts

        def by_time() -> None:
            at = notification_at(store.log, ts)
            views.rows(RowQuery(TABLES["rm_positions"], as_of=at))
            views.rows(RowQuery(TABLES["rm_equity"], as_of=at, newest_first=True, limit=1))

        for name, action in (
            ("positions as of id", lambda: views.rows(RowQuery(TABLES["rm_positions"], as_of=middle))),
            (
                "equity as of id (last point)",
                lambda: views.rows(RowQuery(TABLES["rm_equity"], as_of=middle, newest_first=True, limit=1)),
            ),
            (
                "orders as of id (page of 100)",
                lambda: views.rows(RowQuery(TABLES["rm_orders"], as_of=middle)),
            ),
            ("positions + equity as of a timestamp", by_time),
        ):
            median, worst = timed(action)
            print(
                f"  as-of {label} over {head:,} events, {name}: median {median:.1f} ms, worst {worst:.1f} ms"
            )
    views.close()


def causation(label: str, settings: Settings) -> None:
    views = open_read_models(settings)
    with open_ledger(settings) as store:
        head = store.log.last_notification_id()
        orders = views.rows(RowQuery(TABLES["rm_orders"], limit=1_000_000))
        picks = [UUID(v.row.order_id) for v in (orders[0], orders[len(orders) // 2], orders[-1])]  # type: ignore[attr-defined]
        for order_id in picks:
            median, worst = timed(lambda: explain_order_from_views(store.log, views, order_id))  # noqa: B023
            print(
                f"  causation {label} over {head:,} events, one order: "
                f"median {median:.1f} ms, worst {worst:.1f} ms"
            )
        start = time.perf_counter()
        explain_order(store.log, picks[1])
        print(f"  (the same by one pass over the log: {(time.perf_counter() - start) * 1000:,.0f} ms)")
    views.close()


def lag_under_ingest(rate: int, seconds: float) -> None:
    schema = f"bench_lag_{uuid.uuid4().hex[:8]}"
    settings = pg_settings(schema)
    migrate(settings)
    appended: list[tuple[int, float]] = []
    lags: list[float] = []
    stop = threading.Event()
    views = open_read_models(settings)
    with open_ledger(settings) as store:
        store.log.append([CONFIG.session("bench", "bench")])
        runner = ProjectionRunner(store.log, views)
        pending: list[tuple[int, float]] = []
        lock = threading.Lock()

        def committed(batch: object) -> None:
            now = time.perf_counter()
            upto = batch.last_notification_id  # type: ignore[attr-defined]
            with lock:
                while pending and pending[0][0] <= upto:
                    lags.append((now - pending.pop(0)[1]) * 1000)

        waiter = NotifyWaiter(settings.postgres.conninfo(), timeout=0.5)
        follower = threading.Thread(target=follow, args=(runner, waiter, stop, committed), daemon=True)
        follower.start()
        stream = derive_id("bench-lag-bars")
        per_batch = max(1, rate // 100)
        price = Decimal(100)
        version = 0
        start = time.perf_counter()
        ticks = int(seconds * 100)
        for tick in range(ticks):
            bars = []
            for _ in range(per_batch):
                version += 1
                ts = 1_700_000_000_000_000_000 + version * 60_000_000_000
                bars.append(
                    Bar(
                        originator_id=stream,
                        originator_version=version,
                        venue=VENUE,
                        symbol=SYMBOL,
                        ts_event=ts,
                        ts_recv=ts,
                        open=price,
                        high=price + 1,
                        low=price - 1,
                        close=price,
                        volume=Decimal(1),
                    )
                )
            last = store.log.append(bars)
            with lock:
                pending.append((last, time.perf_counter()))
                appended.append((last, time.perf_counter()))
            sleep = start + (tick + 1) / 100 - time.perf_counter()
            if sleep > 0:
                time.sleep(sleep)
        elapsed = time.perf_counter() - start
        deadline = time.perf_counter() + 10
        while pending and time.perf_counter() < deadline:
            time.sleep(0.01)
        stop.set()
        follower.join(timeout=5)
        waiter.close()
    views.close()
    lags.sort()
    p = partial(percentile, lags)
    print(
        f"  lag on PostgreSQL at {version / elapsed:,.0f} events/s for {elapsed:.0f} s "
        f"({len(lags):,} appends): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lags[-1]:.1f} ms"
    )
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def stolen_seconds() -> float | None:
    """CPU time the hypervisor has taken from this machine since boot (``steal`` in /proc/stat,
    summed over CPUs), or None where the kernel does not say."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if fields[0] == "cpu" and len(fields) > 8 else None


def _load(url: str, key: str, rate: int, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Open-loop load over keep-alive HTTP/1.1 connections with a minimal client (raw asyncio streams,
    so the client's own cost stays small); a request waiting for a free connection counts that wait."""
    host, port = url.removeprefix("http://").split(":")

    async def run() -> list[float]:
        latencies: list[float] = []
        errors = 0
        idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        for _ in range(32):
            idle.put_nowait(await asyncio.open_connection(host, int(port)))
        requests = [
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
            for path in ROUTES
        ]

        async def one(request: bytes, scheduled: float) -> None:
            nonlocal errors
            reader, writer = await idle.get()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            errors += b" 200 " not in status
            idle.put_nowait((reader, writer))

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(requests[i % len(requests)], scheduled)))
        await asyncio.gather(*tasks)
        latencies.append(-errors)  # smuggle the error count
        return latencies

    out.put(asyncio.run(run()))


def api_latency(
    label: str, run_dir: Path | None, rate: int, seconds: float, pg: Settings | None = None
) -> None:
    settings = log_file_settings(run_dir) if run_dir is not None else pg
    assert settings is not None
    key, _ = ApiKeyStore(settings).create("bench", "viewer")
    where = ["--log", str(run_dir)] if run_dir is not None else []
    env = dict(os.environ)
    if pg is not None:
        env.update(
            MEMESNIPE_STORE="postgres", POSTGRES_SCHEMA=pg.postgres.schema, POSTGRES_DBNAME=pg.postgres.dbname
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    memesnipe = str(Path(sys.executable).parent / "memesnipe")
    server = subprocess.Popen(
        [memesnipe, "serve", *where, "--port", str(port), "--no-projections"],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"memesnipe serve exited with {server.returncode}")
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for path in ROUTES:  # warm up each route once
            httpx.get(url + path, headers={"Authorization": f"Bearer {key}"})
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        loader = multiprocessing.Process(target=_load, args=(url, key, rate, seconds, queue))
        stolen_before, started = stolen_seconds(), time.perf_counter()
        loader.start()
        latencies = queue.get()
        loader.join()
        stolen_after, elapsed = stolen_seconds(), time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
    errors = -int(latencies.pop())
    latencies.sort()
    p = partial(percentile, latencies)
    steal = ""
    if stolen_before is not None and stolen_after is not None:
        share = (stolen_after - stolen_before) / (elapsed * (os.cpu_count() or 1))
        steal = f"; the hypervisor took {share:.1%} of the CPUs meanwhile (steal)"
    print(
        f"  API on {label} (memesnipe serve, one process) at {rate} requests/s for {seconds:.0f} s "
        f"over {len(ROUTES)} routes "
        f"({len(latencies):,} requests, {errors} not 200): p50 {p(0.5):.1f} ms, "
        f"p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms{steal}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=800_000)
    parser.add_argument("--rate", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--api-only", type=Path, metavar="RUN_DIR", help="Only the API part, over this run log."
    )
    parser.add_argument(
        "--catch-up-only",
        type=Path,
        metavar="RUN_DIR",
        help="Only the catch-up part, over a copy of this run log (views dropped first).",
    )
    parser.add_argument("--repeat", type=int, default=1, help="Catch-ups per store with --catch-up-only.")
    args = parser.parse_args()
    if args.catch_up_only is not None:
        catch_up_only(args.catch_up_only, args.repeat, args.skip_postgres)
        return
    if args.api_only is not None:
        api_latency("SQLite", args.api_only, args.requests, args.seconds)
        return
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-api-"))
    settings = load_settings({}, store="sqlite", data_dir=tmp)
    with open_ledger(settings) as store:
        ingest(
            store.log,
            IngestRequest("bar", VENUE, SYMBOL, 10_000),
            SyntheticMarket(bars=args.bars, seed=7).source(),
        )
    report = backtest_in_run_dir(settings, BacktestRequest(CONFIG, StoreBars(), reports=None)).report
    run_dir = Path(report.log).parent
    print(f"{args.bars:,} bars backtested: {report.stats['trades']} trades; run log {run_dir}")
    catch_up("SQLite", log_file_settings(run_dir))
    as_of_queries("SQLite", log_file_settings(run_dir))
    causation("SQLite", log_file_settings(run_dir))
    if not args.skip_postgres:
        schema = f"bench_api_{uuid.uuid4().hex[:8]}"
        target = pg_settings(schema)
        migrate(target)
        start = time.perf_counter()
        copy_log(log_file_settings(run_dir), target)
        print(f"  (log copied to PostgreSQL schema {schema} in {time.perf_counter() - start:.1f} s)")
        catch_up("PostgreSQL", target)
        as_of_queries("PostgreSQL", target)
        causation("PostgreSQL", target)
        settle(target)
        api_latency("PostgreSQL", None, args.requests, args.seconds, target)
        with psycopg.connect(target.postgres.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        lag_under_ingest(args.rate, args.seconds)
    api_latency("SQLite", run_dir, args.requests, args.seconds)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
