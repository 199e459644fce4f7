"""Backtest throughput against peers and floors measured in the same run.

    python bench/backtest.py [--bars 1000000] [--skip-peer] [--skip-memory] [--skip-budget] [--rounds 3]

1M synthetic 1-minute bars (seed 7), sma_cross 10/20, size 10, cash 10,000, no fees.
- MemeSnipe end to end: bars read from the store, engine, risk gate, simulated venue,
  every input and decision persisted in the run's own SQLite log, report built and
  written as JSON (the HTML pictures are timed apart); each run in a fresh process, as
  ``memesnipe backtest`` starts one (not beside the million decoded bars this bench keeps for
  the peers); with the CPU time its two processes (the engine's and the run log's writer)
  used in the best runs, which shows the one bounding it.
- backtesting.py 0.6 on the same bars (its Backtest.run(), DataFrame built beforehand), once a
  round after our runs: the best against our best, and the ratio of each round.
- the floor: a plain function-scoped Python loop over float closes updating two running
  SMAs, the crossover and a position;
- the store's limit: reading and decoding the same bars from the store, as a backtest reads
  them (pages of closes, each bar named by its id in the store: ``BarsFromLog``).
Then the per-bar budget (``--skip-budget`` to leave it out): what one bar may cost for the run
to be 1.5x backtesting.py, against what the stages that cannot be skipped cost in the same run:
reading and decoding a bar, the exact floor loop (the same loop over the Decimal closes), the
engine alone (bars read beforehand, nothing stored, report built), the run log's writer
(its process, fed the run's own batches from memory, copying the bars from the store, into a
new file) and SQLite's inserts of those rows alone; and
the least CPU a bar needs whatever the engine does (read + decode, the exact floor loop, the
inserts), spread over both cores.
Then the determinism checks: a second run gives the same digest, and replay verify passes.
Figures are for this machine at this moment; compare the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.backtest import BacktestConfig, BarsFromLog
from application.engine.replay import verify
from application.ingest import IngestRequest, ingest
from bench.backtest_budget import (
    as_backtests_read,
    as_sent,
    engine_alone,
    insert_alone,
    print_budget,
    run_rows,
    writer_alone,
)
from domain.events import AnyBar
from domain.ids import Symbol, Venue
from domain.risk.limits import RiskLimits
from infrastructure import pure_python
from infrastructure.backtest_wiring import BacktestRequest, StoreBars, backtest_in_run_dir
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.config import Settings, load_settings
from infrastructure.feeds.synthetic import SyntheticMarket
from infrastructure.reports.html import write_html
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec

Number = TypeVar("Number", float, Decimal)

SYMBOL, VENUE = Symbol("MEME/USD"), Venue("synthetic")
# The full risk engine checking every bar and order but with limits that never bind, so both
# runs make the same trades and the difference is the cost of the checks.
NON_BINDING = RiskLimits(
    max_trade_pct=Decimal(100),
    max_strategy_exposure_pct=Decimal(100),
    drawdown_warning_pct=Decimal(97),
    drawdown_halt_pct=Decimal(98),
    drawdown_emergency_pct=Decimal(99),
    daily_loss_warning_pct=Decimal(98),
    daily_loss_halt_pct=Decimal(99),
    strategy_drawdown_halt_pct=Decimal(99),
    orders_per_second=1_000_000,
)
CONFIG = BacktestConfig(
    symbol=SYMBOL,
    venue=VENUE,
    strategy="sma_cross",
    params=(("fast", "10"), ("size", "10"), ("slow", "20")),
    cash=Decimal(10_000),
)


def line(label: str, bars: int, seconds: float) -> float:
    rate = bars / seconds
    print(f"  {label:<64} {rate:>12,.0f} bars/s  ({seconds:6.2f} s)")
    return rate


def plain_loop(closes: Sequence[Number], fast: int, slow: int, zero: Number = 0.0) -> int:
    """The floor: two running SMAs, the crossover and a long-only position, nothing else."""
    window: deque[Number] = deque()
    fast_sum = slow_sum = zero
    previous = 0
    position = 0
    trades = 0
    for close in closes:
        window.append(close)
        fast_sum += close
        slow_sum += close
        if len(window) > fast:
            fast_sum -= window[-fast - 1]
        if len(window) > slow:
            slow_sum -= window.popleft()
        if len(window) < slow:
            continue
        difference = fast_sum / fast - slow_sum / slow
        sign = (difference > 0) - (difference < 0)
        if previous == -1 and sign == 1 and not position:
            position = 1
        elif previous == 1 and sign == -1 and position:
            position = 0
            trades += 1
        previous = sign
    return trades


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process and by its finished children (the
    run-log writers): which of the two processes bounds a run."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def backtesting_py(bars: list[AnyBar]) -> tuple[float, int] | None:
    try:
        import pandas as pd
        from backtesting import Backtest, Strategy
        from backtesting.lib import crossover
    except ImportError:
        print("  backtesting.py is not installed (make bench installs bench/requirements.lock)")
        return None

    def sma(values: object, n: int) -> object:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 20)

        def next(self) -> None:
            if crossover(self.fast, self.slow) and not self.position:
                self.buy(size=10)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    frame = pd.DataFrame(
        {
            "Open": [float(b.open) for b in bars],
            "High": [float(b.high) for b in bars],
            "Low": [float(b.low) for b in bars],
            "Close": [float(b.close) for b in bars],
            "Volume": [float(b.volume) for b in bars],
        },
        index=pd.to_datetime([b.ts_event for b in bars], unit="ns"),
    )
    test = Backtest(frame, SmaCross, cash=10_000, commission=0.0, finalize_trades=False)
    start = time.perf_counter()
    stats = test.run()
    return time.perf_counter() - start, int(stats["# Trades"])


def one_run(data_dir: Path, risk_on: bool, html: bool) -> dict[str, Any]:
    """One backtest end to end (store -> log -> JSON report) in this process, as ``memesnipe
    backtest`` runs one: its wall time, the CPU of this process and of its writer, its outcome."""
    pure_python.apply()  # MEMESNIPE_PURE_PYTHON, as memesnipe applies it (bench/c_modules.py)
    settings = load_settings({}, store="sqlite", data_dir=data_dir)
    own, writer = _cpu_seconds()
    start = time.perf_counter()
    config = dataclasses.replace(CONFIG, limits=NON_BINDING) if risk_on else CONFIG
    outcome = backtest_in_run_dir(settings, BacktestRequest(config, StoreBars(), reports=None)).report
    (data_dir / f"report-{'risk' if risk_on else 'basic'}.json").write_bytes(outcome.to_json())
    seconds = time.perf_counter() - start
    own_after, writer_after = _cpu_seconds()
    html_seconds = None
    if html:
        start = time.perf_counter()
        write_html(outcome.to_dict(), data_dir / "report.html")
        html_seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "own": own_after - own,
        "writer": writer_after - writer,
        "html_seconds": html_seconds,
        "digest": outcome.digest,
        "decisions": outcome.decisions,
        "trades": outcome.stats["trades"],
        "log": outcome.log,
    }


def run_in_child(data_dir: Path, risk_on: bool = False, html: bool = False) -> dict[str, Any]:
    """``one_run`` in a fresh process: a backtest as a user starts one, without this bench's own
    heap (the decoded bars it keeps for the peers) in its process."""
    flags = [*(["--risk"] if risk_on else []), *(["--html"] if html else [])]
    out = subprocess.run(
        [sys.executable, __file__, "--one-run", str(data_dir), *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def peak_memory_of_backtest(data_dir: Path) -> tuple[float, float]:
    """Peak resident memory (MB) of one backtest's process and of its run-log writer process."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from bench.backtest import CONFIG;"
        "from infrastructure.backtest_wiring import BacktestRequest, StoreBars, backtest_in_run_dir;"
        "from infrastructure.config import load_settings;"
        "backtest_in_run_dir(load_settings({}, store='sqlite', data_dir=Path(sys.argv[1])),"
        " BacktestRequest(CONFIG, StoreBars(), reports=None));"
        "import resource;"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')),"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), str(Path(__file__).resolve().parents[1])],
        capture_output=True,
        text=True,
        check=True,
    )
    own, writer = out.stdout.strip().splitlines()[-1].split()
    return int(own) / 1024, int(writer) / 1024


def main() -> None:
    if sys.argv[1:2] == ["--one-run"]:  # a child of run_in_child
        print(json.dumps(one_run(Path(sys.argv[2]), "--risk" in sys.argv, "--html" in sys.argv)))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-budget", action="store_true", help="leave out the per-bar budget")
    parser.add_argument("--rounds", type=int, default=3, help="basic/full-risk rounds (best of each)")
    args = parser.parse_args()
    n = args.bars
    tmp = Path(tempfile.mkdtemp(prefix="memesnipe-bench-bt-"))
    settings: Settings = load_settings({}, store="sqlite", data_dir=tmp)
    codec = EventCodec()
    print(f"{n:,} synthetic 1-minute bars (seed 7); sma_cross 10/20, size 10, cash 10,000, no fees")
    with open_ledger(settings) as store:
        start = time.perf_counter()
        ingest(
            store.log, IngestRequest("bar", VENUE, SYMBOL, 10_000), SyntheticMarket(bars=n, seed=7).source()
        )
        print(f"  (setup: generated and ingested in {time.perf_counter() - start:.1f} s)")
        start = time.perf_counter()
        with bulk_work_gc():
            count = sum(len(page) for page in as_backtests_read(store.log, codec, SYMBOL))
        read_seconds = time.perf_counter() - start
        read_rate = line(
            "store limit: read + decode the bars (as the backtest reads them)", count, read_seconds
        )
        read_pages = list(as_backtests_read(store.log, codec, SYMBOL))
        decoded = list(BarsFromLog(store.log, codec, SYMBOL, "store"))  # whole, for the peers
    bars = [cast(AnyBar, bar) for bar, _ in decoded]
    closes = [float(b.close) for b in bars]
    start = time.perf_counter()
    floor_trades = plain_loop(closes, 10, 20)
    floor_rate = line(
        "floor: plain Python loop (2 SMAs, crossover, position)", n, time.perf_counter() - start
    )
    exact_closes = [b.close for b in bars]
    start = time.perf_counter()
    exact_trades = plain_loop(exact_closes, 10, 20, Decimal(0))
    exact_seconds = time.perf_counter() - start
    line("exact floor: the same loop over the Decimal closes", n, exact_seconds)
    del exact_closes

    # The basic gate, the full risk engine and backtesting.py in turn, best of --rounds each, each
    # of ours in a fresh process: the machine's noise only ever slows a run, and taking turns
    # spreads it. Each round's ratio compares two runs minutes apart at most (the machine's
    # phases moved backtesting.py between 75k and 145k bars/s across sessions).
    best: dict[bool, dict[str, Any]] = {}
    peers: list[tuple[float, int]] = []
    round_ratios: list[float] = []
    for round_ in range(args.rounds):
        for risk_on in (False, True):
            outcome = run_in_child(tmp, risk_on, html=round_ == 0 and not risk_on)
            if outcome["html_seconds"] is not None:
                print(f"  (HTML report with pictures: {outcome['html_seconds']:.2f} s more)")
            if risk_on not in best or outcome["seconds"] < best[risk_on]["seconds"]:
                best[risk_on] = outcome
            if not risk_on:
                ours_this_round = outcome["seconds"]
        peer_run = None if args.skip_peer else backtesting_py(bars)
        if peer_run is None:
            args.skip_peer = True  # not installed: said once
        else:
            peers.append(peer_run)
            round_ratios.append(peer_run[0] / ours_this_round)
    report, with_risk = best[False], best[True]
    ours = line(
        f"MemeSnipe backtest end to end (store -> log -> JSON report), best of {args.rounds}",
        n,
        report["seconds"],
    )
    print(f"  trades {report['trades']} (floor loop: {floor_trades}), decisions {report['decisions']:,}")
    risky = line(
        f"the same with the full risk engine on (limits not binding), best of {args.rounds}",
        n,
        with_risk["seconds"],
    )
    print(
        f"  trades with risk on: {with_risk['trades']}; cost of the risk engine: "
        f"{(1 - risky / ours) * 100:.1f}% of throughput"
    )
    for outcome, label in ((report, "basic gate"), (with_risk, "full risk")):
        print(
            f"  CPU of the best {label} run, microseconds per bar: the backtest's process "
            f"{outcome['own'] / n * 1e6:.2f}, its run-log writer {outcome['writer'] / n * 1e6:.2f}, "
            f"wall {outcome['seconds'] / n * 1e6:.2f}"
        )

    peer = min(peers) if peers else None
    if peer is not None:
        peer_rate = line(
            f"backtesting.py 0.6 Backtest.run() on the same bars, best of {len(peers)}", n, peer[0]
        )
        print(f"  backtesting.py trades: {peer[1]}")
        print(f"  ratio MemeSnipe / backtesting.py, best against best: {ours / peer_rate:.2f}x")
        print(
            "  ratio in each round (basic gate, then backtesting.py): "
            + ", ".join(f"{ratio:.2f}x" for ratio in round_ratios)
            + f" (median {statistics.median(round_ratios):.2f}x)"
        )
    print(f"  ratio MemeSnipe / plain loop floor: {ours / floor_rate:.3f}")
    print(f"  ratio MemeSnipe / store read limit: {ours / read_rate:.2f}")
    if not args.skip_budget:
        alone = engine_alone(read_pages, CONFIG)
        items = run_rows(Path(report["log"]))
        written = writer_alone(as_sent(items, settings.sqlite_path), tmp, settings.sqlite_path)
        inserted = insert_alone(items, tmp)
        per_bar = f"{len(items) / n:.2f} rows a bar"
        del items
        print_budget(
            n,
            peer[0] if peer is not None else None,
            {
                "store: read + decode a bar": read_seconds,
                f"exact floor loop over Decimal closes ({exact_trades} trades)": exact_seconds,
                "engine alone: decoded bars in, nothing stored, report built": alone,
                f"run log writer alone (its process, {per_bar})": written,
                f"run log rows inserted by SQLite alone ({per_bar})": inserted,
                "this run end to end (best)": report["seconds"],
            },
            {"read + decode": read_seconds, "exact floor": exact_seconds, "SQLite insert": inserted},
        )
    del decoded, read_pages

    again = run_in_child(tmp)
    print(
        f"\nsame digest on a second run: {again['digest'] == report['digest']} ({report['digest'][:16]}...)"
    )
    with bulk_work_gc(), open_ledger(log_file_settings(Path(report["log"]))) as run:
        start = time.perf_counter()
        result = verify(run.log, codec)
    print(
        f"replay verify: identical={result.identical}, {result.inputs:,} inputs and "
        f"{result.decisions:,} decisions in {time.perf_counter() - start:.1f} s"
    )
    if not args.skip_memory:
        own, writer = peak_memory_of_backtest(tmp)
        print(
            f"peak memory of one backtest: its process {own:.0f} MB (VmHWM), its run-log writer "
            f"{writer:.0f} MB (max RSS): {own + writer:.0f} MB together at most"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
