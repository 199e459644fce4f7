"""What the engine asks of its risk engine: the one port between them.

The engine and the risk engines (``BasicRisk``: cash and position checks only; ``FullRisk``:
limits, breakers and market-data guards) import this, never each other. Both read the account
through the ``AccountBook`` the engine writes; the builder (``engine_for``) puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple, Protocol

from domain.events import AnyBar, Event, EventRef, LimitsChanged, OperatorCommand
from domain.market.runs import BarRun
from domain.risk.execution import Outcome
from domain.trading.book import Holding


class Verdict(NamedTuple):
    """The risk engine's word on one order the basic gate approved, and what it judged by."""

    approved: bool
    reason: str
    message: str
    limits_version: str
    equity: Decimal | None
    strategy_exposure: Decimal | None


class RiskEngine(Protocol):
    """Pre-trade limits, breakers and market-data guards, as the engine uses them."""

    passive: bool
    """True for a risk engine with nothing to screen, take in bulk or judge by outcomes (the basic
    gate: ``quiet_until`` vouches for every bar, ``absorb`` and ``on_outcome`` do nothing): the
    engine then asks none of them."""

    @property
    def emergency(self) -> bool:
        """True while a breaker demands that every position be flattened."""
        ...

    def admit(self, bar: AnyBar) -> Event | None:
        """None when the engine may act on ``bar``; else the recorded refusal (nothing else sees
        the bar then)."""
        ...

    def on_bar(self, bar: AnyBar) -> list[Event]:
        """Mark to an admitted bar's close (after the book's last price moved); the breaker
        changes it causes (a new list)."""
        ...

    def on_refused(self, bar: AnyBar) -> list[Event]:
        """A refused bar's close, which the book now counts against its symbol's positions: the
        breaker changes that causes (a new list)."""
        ...

    def quiet_until(self, run: BarRun, start: int, stop: int) -> int:
        """How far from ``start`` (up to ``stop``) the bars of ``run`` can be absorbed without a
        look at each: ``absorb`` of any ``start:end`` up to there must leave the risk engine
        exactly as ``admit`` and ``on_bar`` of each bar would, and cause nothing. Asked only
        while the engine is quiet (no order open, one strategy on the symbol)."""
        ...

    def absorb(self, run: BarRun, start: int, stop: int) -> None:
        """Take the bars ``start:stop`` of ``run`` that ``quiet_until`` vouched for."""
        ...

    def check(self, holding: Holding, side: str, quantity: Decimal, price: Decimal, ts_ns: int) -> Verdict:
        """The limits' verdict on one order."""
        ...

    def take_changes(self) -> list[Event]:
        """Breaker changes made while checking orders, to be recorded before the verdict."""
        ...

    def on_outcome(self, outcome: Outcome, ts_ns: int, cause: EventRef) -> Sequence[Event]:
        """An acknowledgement's latency, a fill's slippage or a venue error."""
        ...

    def on_command(self, command: OperatorCommand) -> Sequence[Event]:
        """An operator's halt, resume or flatten (recorded as refused when it does not apply)."""
        ...

    def change_limits(self, changed: LimitsChanged) -> Sequence[Event]:
        """New limits from now on (refused when they contradict themselves)."""
        ...

    def must_flatten(self, strategy_id: str) -> bool:
        """Whether this strategy's position must be closed (its breaker or the account's)."""
        ...
