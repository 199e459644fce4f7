"""Building a session's engine: the account book, the risk engine its limits call for, the
strategies, and the engine that connects them (which imports none of its parts' modules)."""

from __future__ import annotations

from application.engine.basic_risk import BasicRisk
from application.engine.engine import Engine
from application.engine.full_risk import FullRisk
from application.engine.parts import RiskEngine
from application.engine.slots import StrategySlot
from domain.events import SessionStarted
from domain.trading.book import AccountBook


def engine_for(session: SessionStarted) -> Engine:
    """The engine of ``session``: the full risk engine when the session has limits, else the
    basic gate alone."""
    book = AccountBook(session.starting_cash, [(s.strategy_id, s.symbol) for s in session.strategies])
    slots = [
        StrategySlot(config, holding)
        for config, holding in zip(session.strategies, book.holdings, strict=True)
    ]
    risk: RiskEngine = (
        FullRisk(session.limits, book, session.strategies, session.venue) if session.limits else BasicRisk()
    )
    return Engine(session, book, risk, slots)
