"""Whatever the market: same inputs, same digest; replay reproduces; the books balance."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import event as label
from hypothesis import given, settings
from hypothesis import strategies as st

from application.engine.build import engine_for
from application.engine.replay import verify
from domain.events import Bar, OrderSubmitted, VenueOrderFilled
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings
from infrastructure.store.codec import EventCodec
from tests.engine_helpers import bar_rows, generated_config, run

MOVES = st.lists(st.integers(min_value=-30, max_value=30), min_size=40, max_size=160)
PARAMS = st.tuples(st.integers(1, 4), st.integers(1, 5)).map(lambda p: (p[0], p[0] + p[1]))
COSTS = st.tuples(st.sampled_from(["0", "10", "26"]), st.sampled_from(["0", "5"]))
EXITS = st.sampled_from(
    [
        {},
        {"stop_loss_pct": Decimal(2)},
        {"take_profit_pct": Decimal(3)},
        {"trailing_stop_pct": Decimal("1.5")},
    ]
)


def rows_from(moves: list[int]) -> list[tuple[str, str]]:
    price, series = Decimal(100), []
    for move in moves:
        close = max(price + Decimal(move) / 10, Decimal(1))
        series.append((str(price), str(close)))
        price = close + Decimal(move % 3 - 1) / 20
        price = max(price, Decimal(1))
    return series


def memory_log():  # type: ignore[no-untyped-def]
    return open_ledger(load_settings({}, store="memory"))


@settings(max_examples=60, deadline=None)
@given(MOVES, PARAMS, COSTS, EXITS, st.booleans(), st.booleans())
def test_same_inputs_same_digest_and_replay_reproduces_every_decision(
    moves: list[int],
    params: tuple[int, int],
    costs: tuple[str, str],
    exits: dict[str, Decimal],
    close_at_end: bool,
    full_risk: bool,
) -> None:
    limits = RiskLimits(max_trade_pct=Decimal(50), max_strategy_exposure_pct=Decimal(60), adaptive_window=3)
    cfg = generated_config(params, costs, exits, close_at_end, limits if full_risk else None)
    rows = bar_rows(rows_from(moves))
    with memory_log() as first, memory_log() as second:
        a = run(first.log, rows, cfg)
        b = run(second.log, rows, cfg)
        assert a.digest == b.digest and a.decisions == b.decisions
        result = verify(first.log, EventCodec())
        assert result.identical, result.divergence
        assert result.recorded_digest == a.digest
        events = [r.event for page in first.log.read() for r in page]
    label(f"round trips: {min(len(a.trades), 3)}{'+' if len(a.trades) >= 3 else ''}")

    # Replay the inputs into a fresh engine and check its books against the recorded fills.
    engine = engine_for(events[0])  # type: ignore[arg-type]
    for event in events:
        if type(event).IS_INPUT:
            engine.handle(event)
            engine.outbox.clear()
    mark = next(e.close for e in reversed(events) if isinstance(e, Bar))
    account = engine.book
    position = account.positions.get("sma_cross:TEST/USD")
    if position is not None:
        left = account.cash + position.quantity * mark
        right = account.starting_cash + position.realized_pnl + position.unrealized_pnl(mark) - position.fees
        assert left == right
        assert position.quantity >= 0, "long only"
    ordered = {e.order_id: e.quantity for e in events if isinstance(e, OrderSubmitted)}
    filled: dict[object, Decimal] = {}
    for event in events:
        if isinstance(event, VenueOrderFilled):
            filled[event.order_id] = filled.get(event.order_id, Decimal(0)) + event.quantity
    assert all(filled[o] <= ordered[o] for o in filled), "no fill exceeds its order"
    if not a.open_positions:
        total = sum((t.pnl for t in a.trades), Decimal(0))
        assert account.cash == account.starting_cash + total, "round trips account for all P&L"
