"""The equity chart's read (``GET /v1/equity/chart``) over a long session, on SQLite and PostgreSQL.

    python bench/equity_chart.py [--marks 1000000] [--points 2000] [--repeat 5] [--skip-postgres]

--marks marks of one account (a random walk with sixteen decimals and a one-bar crash in the
middle) are committed to fresh views by the store's own commit, in a temporary SQLite file and
a new PostgreSQL schema (dropped after); then the chart is read --repeat times through
``SqlEquityChart`` and encoded as the route encodes it: the first read, the median of the others,
and the answer's size. The crash's mark must be the minimum of a bucket. Figures are for this
machine at this moment.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
import psycopg
from psycopg import sql

from infrastructure.bootstrap import migrate, open_read_models
from infrastructure.config import Settings, load_settings
from infrastructure.read_models.equity_chart import SqlEquityChart
from infrastructure.runtime import bulk_work_gc
from projections.base import Version
from projections.portfolio import EQUITY, EquityRow

CRASH = Decimal("1234.5678901234567890")
BATCH = 50_000


def marks(count: int) -> list[EquityRow]:
    """A random walk of ``count`` marks a minute apart, ``CRASH`` at the middle one."""
    rng = random.Random(1)
    equity = high_water = Decimal(10_000)
    step = Decimal("1e-16")
    rows = []
    for index in range(count):
        equity = (equity * (1 + Decimal(rng.gauss(0, 0.001)).quantize(Decimal("1e-12")))).quantize(step)
        value = CRASH if index == count // 2 else equity
        high_water = max(high_water, value)
        rows.append(
            EquityRow(
                ts=1_700_000_000_000_000_000 + index * 60_000_000_000,
                account="bench",
                symbol="MEME/USD",
                mark=Decimal(1),
                cash=value,
                equity=value,
                high_water=high_water,
                drawdown_pct=((high_water - value) * 100 / high_water).quantize(Decimal("1e-6")),
                realized_pnl=Decimal(0),
                unrealized_pnl=Decimal(0),
                fees=Decimal(0),
            )
        )
    return rows


def measure(label: str, settings: Settings, rows: list[EquityRow], points: int, repeat: int) -> None:
    migrate(settings)
    views = open_read_models(settings)
    start = time.perf_counter()
    with bulk_work_gc():
        for at in range(0, len(rows), BATCH):
            versions = [Version(at + i + 1, at + i + 10, row) for i, row in enumerate(rows[at : at + BATCH])]
            views.commit({"portfolio": versions[-1].valid_from}, {EQUITY.name: versions})
    print(f"  {label}: {len(rows):,} marks committed in {time.perf_counter() - start:.1f} s")
    reader = SqlEquityChart(views)
    seconds, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        chart = reader.equity_chart(None, points)
        size = len(msgspec.json.encode({"first": chart.first, "last": chart.last, "buckets": chart.buckets}))
        seconds.append(time.perf_counter() - start)
    views.close()
    crash = [b for b in chart.buckets if Decimal(b.equity_min) == CRASH]
    if chart.marks != len(rows) or len(crash) != 1:
        raise SystemExit(f"{label}: the chart lost marks or the crash ({chart.marks:,} marks, {crash})")
    rest = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
    print(
        f"  {label}: chart of {chart.marks:,} marks in {len(chart.buckets):,} buckets: first read "
        f"{seconds[0]:.3f} s, then median {rest:.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f}); "
        f"{size / 1024:,.0f} KiB of JSON"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marks", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows = marks(args.marks)
    print(f"equity chart: {args.marks:,} marks, at most {args.points:,} buckets")
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-chart-"))
    try:
        measure("SQLite", load_settings({}, store="sqlite", data_dir=tmp), rows, args.points, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.skip_postgres:
        return
    env = {**os.environ, "POSTGRES_SCHEMA": f"bench_chart_{uuid.uuid4().hex[:8]}"}
    env.setdefault("POSTGRES_DBNAME", "postgres")
    settings = load_settings(env, store="postgres")
    try:
        measure("PostgreSQL", settings, rows, args.points, args.repeat)
    finally:
        with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(env["POSTGRES_SCHEMA"]))
            )


if __name__ == "__main__":
    main()
