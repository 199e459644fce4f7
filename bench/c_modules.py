"""What each optional C module saves on the default backtest path.

    python bench/c_modules.py [--bars 300000] [--rounds 3] [--basic]

Synthetic 1-minute bars (seed 7) ingested once; then ``memesnipe backtest``'s run as
bench/backtest.py times it (sma_cross 10/20 from the store, the full risk engine with limits that
never bind unless ``--basic``, the run log written by its writer process, the JSON report), each
run in a fresh process: with every C module on, and with each module turned off in turn
(``MEMESNIPE_PURE_PYTHON``, which the run's writer process inherits), and with all of them off.
The configurations take turns within a round and the order reverses every other round, so the
machine's drift spreads over all of them; each configuration's best of ``--rounds`` counts.

Printed for each module: the best run without it against the best with every module on (its
saving as a ratio: 1.10x means the run takes 10% longer without it), and the CPU time of the
two processes (the backtest's and its run-log writer's, where the loader runs) in those best
runs. Every run must give the same digest. Figures are for this machine at
this moment, and only the ratios compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.ingest import IngestRequest, ingest
from bench.backtest import SYMBOL, VENUE, run_in_child
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings
from infrastructure.feeds.synthetic import SyntheticMarket
from infrastructure.pure_python import MODULES, VARIABLE

ALL_ON, ALL_OFF = "", "all"
ORDER = ["loader", "columns", "sma", "equity"]
assert set(ORDER) == MODULES


def run_with(data_dir: Path, turned_off: str, risk_on: bool) -> dict[str, Any]:
    """One backtest in a fresh process with ``turned_off``'s modules in Python."""
    previous = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = turned_off
    try:
        return run_in_child(data_dir, risk_on)
    finally:
        if previous is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = previous


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds (best of each configuration)")
    parser.add_argument("--basic", action="store_true", help="the basic gate instead of the full risk engine")
    args = parser.parse_args()
    if os.environ.get(VARIABLE):
        raise SystemExit(
            f"{VARIABLE} is set ({os.environ[VARIABLE]!r}): unset it, this bench sets it per run"
        )
    n, risk_on = args.bars, not args.basic
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-c-"))
    print(
        f"{n:,} synthetic 1-minute bars (seed 7); sma_cross 10/20, size 10, cash 10,000, no fees; "
        f"{'the full risk engine (limits not binding)' if risk_on else 'the basic gate'}"
    )
    with open_ledger(load_settings({}, store="sqlite", data_dir=tmp)) as store:
        start = time.perf_counter()
        ingest(
            store.log, IngestRequest("bar", VENUE, SYMBOL, 10_000), SyntheticMarket(bars=n, seed=7).source()
        )
        print(f"  (setup: generated and ingested in {time.perf_counter() - start:.1f} s)")

    configurations = [ALL_ON, *ORDER, ALL_OFF]
    best: dict[str, dict[str, Any]] = {}
    seconds: dict[str, list[float]] = {turned_off: [] for turned_off in configurations}
    digests: set[str] = set()
    for round_ in range(args.rounds):
        for turned_off in configurations if round_ % 2 == 0 else configurations[::-1]:
            outcome = run_with(tmp, turned_off, risk_on)
            digests.add(outcome["digest"])
            seconds[turned_off].append(outcome["seconds"])
            if turned_off not in best or outcome["seconds"] < best[turned_off]["seconds"]:
                best[turned_off] = outcome
        print(f"  (round {round_ + 1} of {args.rounds} done)")

    on = best[ALL_ON]
    print(
        f"  every module on: {on['seconds']:6.2f} s ({n / on['seconds']:,.0f} bars/s); CPU: backtest "
        f"{on['own']:.2f} s, writer {on['writer']:.2f} s (best of {args.rounds}: {_runs(seconds[ALL_ON])})"
    )
    for turned_off, against in [
        *((name, ALL_ON) for name in ORDER),
        (ALL_OFF, ALL_ON),
    ]:
        off, base = best[turned_off], best[against]
        label = f"{turned_off} off"
        print(
            f"  {label:<36} {off['seconds']:6.2f} s: saving {off['seconds'] / base['seconds']:.2f}x wall; "
            f"CPU backtest {off['own']:.2f} s ({off['own'] / base['own']:.2f}x), "
            f"writer {off['writer']:.2f} s ({off['writer'] / base['writer']:.2f}x); "
            f"runs {_runs(seconds[turned_off])}"
        )
    print(f"  same digest in every run: {len(digests) == 1} ({next(iter(digests))[:16]}...)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
