"""Audit chain throughput against a plain SHA-256 pass over the same bytes, in the same run.

    python bench/audit.py [--rows 1000000]

SQLite in a temporary directory: append the ticks (each append links its batch), verify
the chain, and hash the same stored bytes with a plain SHA-256 loop (the floor).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.audit.verify_chain import verify_chain
from bench.ingest import ticks
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings
from infrastructure.runtime import bulk_work_gc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-audit-"))
    settings = load_settings({}, store="sqlite", data_dir=tmp)
    events = ticks(args.rows)
    with bulk_work_gc(), open_ledger(settings) as store:
        for start in range(0, len(events), 10_000):
            store.log.append(events[start : start + 10_000])
        del events
        head_id, _ = store.log.chain_head()  # type: ignore[attr-defined]
        print(f"{args.rows:,} trade ticks in SQLite, linked by their appends up to id {head_id:,}")
        start = time.perf_counter()
        report = verify_chain(store.log)  # type: ignore[arg-type]
        verify_s = time.perf_counter() - start
        print(
            f"  verify (read, relink, compare): {report.events / verify_s:>10,.0f} events/s  "
            f"({verify_s:5.2f} s), intact={report.intact}"
        )
    conn = sqlite3.connect(settings.sqlite_path)
    start = time.perf_counter()
    digest = hashlib.sha256()
    for (state,) in conn.execute("SELECT state FROM stored_events ORDER BY rowid"):
        digest.update(state)
    plain_s = time.perf_counter() - start
    conn.close()
    print(
        f"  plain SHA-256 over the same stored bytes: {args.rows / plain_s:>10,.0f} events/s "
        f"({plain_s:5.2f} s)"
    )
    print(f"  verify / plain: {plain_s / verify_s:.2f} of the plain pass's speed")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
