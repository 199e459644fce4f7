"""Backtest throughput against peers and floors measured in the same run.

    python bench/backtest.py [--bars 1000000] [--skip-peer] [--skip-memory] [--rounds 3]

1M synthetic 1-minute bars (seed 7), sma_cross 10/20, size 10, cash 10,000, no fees.
- MemeSnipe end to end: bars read from the store, engine, risk gate, simulated venue,
  every input and decision persisted in the run's own SQLite log, report built and
  written as JSON (the HTML pictures are timed apart).
- backtesting.py 0.6 on the same bars (its Backtest.run(), DataFrame built beforehand).
- the floor: a plain function-scoped Python loop over float closes updating two running
  SMAs, the crossover and a position;
- the store's limit: reading and decoding the same bars from the store.
Then the determinism checks: a second run gives the same digest, and replay verify passes.
Figures are for this machine at this moment; compare the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from decimal import Decimal
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.backtest import BacktestConfig, BarsFromLog
from application.engine.replay import verify
from application.ingest import IngestRequest, ingest
from domain.events import Bar
from domain.ids import Symbol, Venue
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.cli.backtest import execute
from infrastructure.config import Settings, load_settings
from infrastructure.feeds.synthetic import SyntheticMarket
from infrastructure.reports.html import write_html
from infrastructure.runtime import bulk_work_gc
from infrastructure.store.codec import EventCodec

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


def plain_loop(closes: list[float], fast: int, slow: int) -> int:
    """The floor: two running SMAs, the crossover and a long-only position, nothing else."""
    window: deque[float] = deque()
    fast_sum = slow_sum = 0.0
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


def backtesting_py(bars: list[Bar]) -> tuple[float, int] | None:
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


def peak_memory_of_backtest(data_dir: Path) -> float:
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from bench.backtest import CONFIG; from infrastructure.cli.backtest import execute;"
        "from infrastructure.config import load_settings;"
        "execute(load_settings({}, store='sqlite', data_dir=Path(sys.argv[1])), CONFIG, from_store=True);"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), str(Path(__file__).resolve().parents[1])],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
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
            count = sum(1 for _ in BarsFromLog(store.log, codec, SYMBOL, "store"))
        read_rate = line("store limit: read + decode the bars", count, time.perf_counter() - start)
        bars = [bar for bar, _ in BarsFromLog(store.log, codec, SYMBOL, "store")]
    assert all(isinstance(b, Bar) for b in bars)
    closes = [float(b.close) for b in bars]  # type: ignore[attr-defined]
    start = time.perf_counter()
    floor_trades = plain_loop(closes, 10, 20)
    floor_rate = line(
        "floor: plain Python loop (2 SMAs, crossover, position)", n, time.perf_counter() - start
    )

    # The basic gate and the full risk engine alternately, best of --rounds each: the machine's
    # noise only ever slows a run, and alternating spreads it over both.
    best = {False: float("inf"), True: float("inf")}
    report = with_risk = None
    for round_ in range(args.rounds):
        for risk_on in (False, True):
            start = time.perf_counter()
            outcome = execute(
                settings,
                dataclasses.replace(CONFIG, limits=NON_BINDING) if risk_on else CONFIG,
                from_store=True,
            )
            document = outcome.to_dict()
            (tmp / f"report-{'risk' if risk_on else 'basic'}.json").write_bytes(msgspec.json.encode(document))
            best[risk_on] = min(best[risk_on], time.perf_counter() - start)
            if round_ == 0 and not risk_on:
                start = time.perf_counter()
                write_html(document, tmp / "report.html")
                print(f"  (HTML report with pictures: {time.perf_counter() - start:.2f} s more)")
            del document
            if risk_on:
                with_risk = outcome
            else:
                report = outcome
            outcome.equity, outcome.timestamps = [], []  # free the curve before the next run
    assert report is not None and with_risk is not None
    ours = line(
        f"MemeSnipe backtest end to end (store -> log -> JSON report), best of {args.rounds}", n, best[False]
    )
    print(f"  trades {report.stats['trades']} (floor loop: {floor_trades}), decisions {report.decisions:,}")
    risky = line(
        f"the same with the full risk engine on (limits not binding), best of {args.rounds}", n, best[True]
    )
    print(
        f"  trades with risk on: {with_risk.stats['trades']}; cost of the risk engine: "
        f"{(1 - risky / ours) * 100:.1f}% of throughput"
    )

    if not args.skip_peer:
        peer = backtesting_py(bars)  # type: ignore[arg-type]
        if peer is not None:
            peer_rate = line("backtesting.py 0.6 Backtest.run() on the same bars", n, peer[0])
            print(f"  backtesting.py trades: {peer[1]}")
            print(f"  ratio MemeSnipe / backtesting.py: {ours / peer_rate:.2f}x")
    print(f"  ratio MemeSnipe / plain loop floor: {ours / floor_rate:.3f}")
    print(f"  ratio MemeSnipe / store read limit: {ours / read_rate:.2f}")

    again = execute(settings, CONFIG, from_store=True)
    print(f"\nsame digest on a second run: {again.digest == report.digest} ({report.digest[:16]}...)")
    with bulk_work_gc(), open_ledger(log_file_settings(Path(report.log))) as run:
        start = time.perf_counter()
        result = verify(run.log, codec)
    print(
        f"replay verify: identical={result.identical}, {result.inputs:,} inputs and "
        f"{result.decisions:,} decisions in {time.perf_counter() - start:.1f} s"
    )
    if not args.skip_memory:
        print(f"peak memory (VmHWM) of one backtest process: {peak_memory_of_backtest(tmp):.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
