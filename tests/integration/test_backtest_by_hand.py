"""A bar series small enough to work out sma_cross by hand (fast 2, slow 3, size 1).

closes  10 10 10  9  8  9 11 13 12 10  8  9     (opens = previous close + 0.5)
fast     -  - 10 9.5 8.5 8.5 10 12 12.5 11 9 8.5
slow     -  - 10 9.67 9 8.67 9.33 11 12 11.67 10 9
bar 6: fast crosses above slow (was below at bar 5)  -> buy 1 at bar 7's open, 11.5
bar 9: fast crosses below slow (was above at bar 8)  -> sell 1 at bar 10's open, 10.5
One round trip: pnl = 10.5 - 11.5 = -1. Equity at closes: 1000 x 7, then
988.5 + 13 = 1001.5, 1000.5, 998.5, then flat at 999, 999.
Max drawdown: from 1001.5 down to 998.5 = 3 / 1001.5 = 0.299550...%.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from domain.events import OrderSubmitted, SignalGenerated, VenueOrderFilled
from infrastructure.bootstrap import LedgerStore
from tests.engine_helpers import bar_rows, config, run

CLOSES = ["10", "10", "10", "9", "8", "9", "11", "13", "12", "10", "8", "9"]


def series() -> list[tuple[str, str]]:
    opens = ["10"] + [str(Decimal(c) + Decimal("0.5")) for c in CLOSES[:-1]]
    return list(zip(opens, CLOSES, strict=True))


def test_the_hand_worked_trades_pnl_and_drawdown(store: LedgerStore) -> None:
    report = run(store.log, bar_rows(series()))
    [trade] = report.trades
    assert (trade.entry_price, trade.exit_price, trade.size, trade.pnl) == (
        Decimal("11.5"),
        Decimal("10.5"),
        Decimal(1),
        Decimal(-1),
    )
    assert trade.entry_time == (1_700_000_000 + 7 * 60) * 10**9
    assert trade.exit_time == (1_700_000_000 + 10 * 60) * 10**9
    assert [str(e) for e in report.equity] == ["1000"] * 7 + ["1001.5", "1000.5", "998.5", "999.0", "999.0"]
    assert report.stats["max_drawdown_pct"] == round(3 / 1001.5 * 100, 6)
    assert report.stats["trades"] == 1 and report.stats["win_rate_pct"] == 0
    assert report.stats["final_equity"] == "999.0"
    assert report.stats["exposure_time_pct"] == round(3 / 12 * 100, 6)
    assert report.open_positions == []


def test_the_log_tells_the_story_in_order(store: LedgerStore) -> None:
    run(store.log, bar_rows(series()))
    events = [r.event for page in store.log.read() for r in page]
    signals = [e for e in events if isinstance(e, SignalGenerated)]
    assert [(s.action, s.ts_event // 10**9 - 1_700_000_000) for s in signals] == [
        ("buy", 360),
        ("close", 540),
    ]
    submitted = [e for e in events if isinstance(e, OrderSubmitted)]
    fills = [e for e in events if isinstance(e, VenueOrderFilled)]
    assert [f.order_id for f in fills] == [s.order_id for s in submitted]
    # every decision names its cause: the signal names the bar, the order names the signal
    bar_versions = {e.originator_version for e in events if type(e).__name__ == "Bar"}
    assert all(s.cause.version in bar_versions for s in signals)


def test_an_open_position_stays_open_unless_close_at_end(store: LedgerStore) -> None:
    rising = [("10", "10"), ("10.5", "10"), ("10.5", "10"), ("9.5", "9"), ("9.5", "12"), ("12.5", "14")]
    report = run(store.log, bar_rows(rising))
    assert report.trades == [] and len(report.open_positions) == 1
    assert report.equity[-1] == Decimal(1000) - Decimal("12.5") + Decimal(14)


def test_close_at_end_sells_at_the_last_close(store: LedgerStore) -> None:
    rising = [("10", "10"), ("10.5", "10"), ("10.5", "10"), ("9.5", "9"), ("9.5", "12"), ("12.5", "14")]
    report = run(store.log, bar_rows(rising), config(close_at_end=True))
    [trade] = report.trades
    assert (trade.entry_price, trade.exit_price, trade.pnl) == (Decimal("12.5"), Decimal(14), Decimal("1.5"))


def test_the_reports_json_is_its_document_whichever_is_built_first(store: LedgerStore) -> None:
    # ``to_json`` writes the curve's values and times as the curve and the C module write them;
    # they are the document's (``to_dict``), byte for byte, before or after it is built.
    report = run(store.log, bar_rows(series()))
    direct = report.to_json()
    document = report.to_dict()
    assert direct == msgspec.json.encode(document)
    assert document["equity"]["time_ms"][:2] == [(1_700_000_000 + 0) * 1000, (1_700_000_000 + 60) * 1000]
    report._json = None  # again, the document built first this time
    assert report.to_json() == direct
