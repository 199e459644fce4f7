"""Strategies: pure signal logic behind a small, versioned interface.

``STRATEGIES`` maps a name to its class; a session records the name, the
version and the parameters, so a replay runs the very logic that decided.
"""

from domain.strategies.base import InvalidStrategyParams, SignalLogic, StrategyIntent
from domain.strategies.sma_cross import SmaCross

STRATEGIES: dict[str, type[SignalLogic]] = {SmaCross.name: SmaCross}

__all__ = ["STRATEGIES", "InvalidStrategyParams", "SignalLogic", "SmaCross", "StrategyIntent"]
