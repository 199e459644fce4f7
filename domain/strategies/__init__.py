"""Strategies: pure signal logic behind a small, versioned interface.

``STRATEGIES`` maps a name to its class; a session records the name, the
version and the parameters, so a replay runs the very logic that decided.
"""

from domain.strategies.base import InputSpec, InvalidStrategyParams, SignalLogic, StrategyIntent
from domain.strategies.buy_and_hold import BuyAndHold
from domain.strategies.sma_cross import SmaCross

STRATEGIES: dict[str, type[SignalLogic]] = {SmaCross.name: SmaCross, BuyAndHold.name: BuyAndHold}

__all__ = [
    "STRATEGIES",
    "BuyAndHold",
    "InputSpec",
    "InvalidStrategyParams",
    "SignalLogic",
    "SmaCross",
    "StrategyIntent",
]
