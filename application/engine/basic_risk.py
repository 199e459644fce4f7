"""The basic gate alone: cash and position checks (``domain/trading/risk_gate.py``), no limits,
no breakers, no market-data guards. Every bar is admitted and nothing is marked, so any run of
bars is quiet; operator commands and limit changes do not apply and cause nothing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from application.engine.parts import Verdict
from domain.events import AnyBar, Event, EventRef, LimitsChanged, OperatorCommand
from domain.market.runs import BarRun
from domain.risk.execution import Outcome
from domain.trading.book import Holding
from domain.trading.risk_gate import LIMITS_VERSION

_APPROVED = Verdict(True, "", "", LIMITS_VERSION, None, None)
_NOTHING: tuple[Event, ...] = ()


class BasicRisk:
    """The ``RiskEngine`` of a session without limits (``SessionStarted.limits`` is None)."""

    emergency = False
    passive = True

    def admit(self, bar: AnyBar) -> Event | None:
        """Every bar."""
        return None

    def on_bar(self, bar: AnyBar) -> list[Event]:
        """Nothing to mark."""
        return []

    def on_refused(self, bar: AnyBar) -> list[Event]:
        """Nothing is refused."""
        return []

    def quiet_until(self, run: BarRun, start: int, stop: int) -> int:
        """Every bar is quiet."""
        return stop

    def absorb(self, run: BarRun, start: int, stop: int) -> None:
        """Nothing to take."""

    def check(self, holding: Holding, side: str, quantity: Decimal, price: Decimal, ts_ns: int) -> Verdict:
        """The basic gate has already approved: nothing more to check."""
        return _APPROVED

    def take_changes(self) -> list[Event]:
        """No breakers, no changes."""
        return []

    def on_outcome(self, outcome: Outcome, ts_ns: int, cause: EventRef) -> Sequence[Event]:
        """No execution-quality breaker."""
        return _NOTHING

    def on_command(self, command: OperatorCommand) -> Sequence[Event]:
        """No breakers to halt or resume."""
        return _NOTHING

    def change_limits(self, changed: LimitsChanged) -> Sequence[Event]:
        """No limits to change."""
        return _NOTHING

    def must_flatten(self, strategy_id: str) -> bool:
        """Never."""
        return False
