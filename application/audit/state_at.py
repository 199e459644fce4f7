"""What did the risk engine know at time T: the engine's state rebuilt from the log as of T.

The session's inputs up to the last one stamped at or before T are replayed through a
fresh engine (decisions are recomputed, not read), so the answer is the engine's own
view at that moment: equity, high-water mark, drawdown, daily loss, exposures, the
limits in force, every breaker's state, and how old the last market data was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from application.engine.build import engine_for
from application.engine.engine import Engine
from application.engine.full_risk import FullRisk
from application.engine.replay import NotASessionLog
from application.ports import Codec, EventLog
from domain.events import Bar, CheckpointSigned, SessionStarted


@dataclass
class RiskState:
    """The engine's risk view at one moment."""

    at_ns: int
    inputs_replayed: int = 0
    last_notification_id: int = 0
    cash: Decimal = Decimal(0)
    equity: Decimal | None = None
    high_water: Decimal | None = None
    drawdown_pct: Decimal | None = None
    daily_loss_pct: Decimal | None = None
    limits_version: str = "basic-1"
    breakers: dict[str, str] = field(default_factory=dict)
    positions: dict[str, Decimal] = field(default_factory=dict)
    exposures: dict[str, Decimal] = field(default_factory=dict)
    last_market_data_age_ns: int | None = None


def risk_state_at(log: EventLog, codec: Codec, at_ns: int) -> RiskState:
    """Replay the session's inputs stamped at or before ``at_ns``; describe the engine then."""
    state = RiskState(at_ns)
    engine: Engine | None = None
    last_bar_ts: int | None = None
    for page in log.read_stored():
        for record in page:
            event = codec.decode(record.topic, record.state)
            if engine is None:
                if not isinstance(event, SessionStarted):
                    raise NotASessionLog(f"the log starts with {record.topic}, not a session configuration")
                engine = engine_for(event)
                continue
            if not type(event).IS_INPUT or isinstance(event, CheckpointSigned):
                continue  # a checkpoint is stored with the inputs but is not one
            stamp: Any = getattr(event, "ts_event", None)
            if stamp is not None and stamp > at_ns:
                return _describe(engine, state, last_bar_ts)
            engine.handle(event)
            engine.outbox.clear()
            state.inputs_replayed += 1
            state.last_notification_id = record.notification_id
            if isinstance(event, Bar):
                last_bar_ts = event.ts_event
    if engine is None:
        raise NotASessionLog("the log is empty")
    return _describe(engine, state, last_bar_ts)


def _describe(engine: Engine, state: RiskState, last_bar_ts: int | None) -> RiskState:
    book = engine.book
    state.cash = book.cash
    state.positions = {holding.strategy_id: holding.quantity for holding in book.holdings}
    state.last_market_data_age_ns = state.at_ns - last_bar_ts if last_bar_ts is not None else None
    risk = engine.risk
    if not isinstance(risk, FullRisk) or not book.last_prices:
        return state
    manager = risk.manager
    state.equity = book.equity()
    state.high_water = manager.account_watch.high_water
    measures = manager.account_watch.probe(state.equity, state.at_ns)  # at the marked equity
    state.drawdown_pct, state.daily_loss_pct = measures.drawdown_pct, measures.daily_loss_pct
    state.limits_version = risk.limits.label
    state.breakers = {
        "account": manager.account.state.name,
        f"execution:{risk.venue}": risk.execution.state.value,
    }
    state.breakers.update({sid: b.state.name for sid, b in manager.strategies.items()})
    state.exposures = {holding.strategy_id: book.exposure(holding) for holding in book.holdings}
    return state
