"""One configured strategy inside the engine: its logic, its signal stream, its exits, and its
holding in the account book."""

from __future__ import annotations

from decimal import Decimal

from domain.errors import DomainError
from domain.events import StrategyConfig
from domain.ids import NumberedIds, derive_id
from domain.strategies import STRATEGIES, SignalLogic
from domain.trading.book import Holding
from domain.trading.protective import ProtectiveExits


class UnknownStrategy(DomainError):
    """A session names a strategy (or version) this code does not have."""


class StrategySlot:
    """One configured strategy: its logic, its signal stream, its exits and its holding."""

    __slots__ = (
        "config",
        "exits",
        "holding",
        "logic",
        "order_ids",
        "signals",
        "strategy_id",
        "stream",
        "symbol",
    )

    def __init__(self, config: StrategyConfig, holding: Holding) -> None:
        logic_class = STRATEGIES.get(config.name)
        if logic_class is None or logic_class.version != config.version:
            raise UnknownStrategy(f"strategy {config.name} v{config.version} is not available")
        self.config = config
        self.strategy_id = config.strategy_id
        self.logic: SignalLogic = logic_class(dict(config.params))
        self.stream = derive_id("signals", config.strategy_id)
        self.order_ids = NumberedIds("order", str(self.stream))
        """Each signal's order id, by the signal's number (derived from the signal)."""
        self.symbol = config.symbol
        self.signals = 0
        self.exits = ProtectiveExits(config.stop_loss_pct, config.take_profit_pct, config.trailing_stop_pct)
        self.holding = holding
        """The strategy's position and pending orders, in the account book."""

    @property
    def quantity(self) -> Decimal:
        """The strategy's position."""
        return self.holding.quantity

    @property
    def pending_sells(self) -> Decimal:
        """Quantity its open sells may still take out of the position."""
        return self.holding.pending_sells
