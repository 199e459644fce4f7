"""The strategy interface: bars in, at most one intent out, no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import ClassVar, Literal, NamedTuple, Protocol

from domain.errors import DomainError
from domain.events.market import AnyBar
from domain.market.runs import BarRun


class InvalidStrategyParams(DomainError, ValueError):
    """A strategy parameter is missing or out of range; the message names it."""


InputKind = Literal["bar", "trade", "quote", "book", "funding", "alt", "tick"]
"""What an input is: market data of each kind, alternative data, timer ticks."""


class InputSpec(NamedTuple):
    """One input a strategy needs: a kind, of one symbol (None: of every symbol), of one
    timeframe where the kind has one (None: the session's)."""

    kind: InputKind
    symbol: str | None
    timeframe: str | None = None


class StrategyIntent(NamedTuple):
    """What a strategy wants: buy or sell a quantity, or close its position."""

    action: Literal["buy", "sell", "close"]
    quantity: Decimal
    reason: str
    values: tuple[tuple[str, Decimal], ...]


class SignalLogic(Protocol):
    """A strategy's signal logic. ``version`` changes whenever its decisions could."""

    name: ClassVar[str]
    version: ClassVar[int]
    lookback: int
    """How many bars (the latest included) a signal may be computed from: what an audit shows."""

    def __init__(self, params: Mapping[str, str]) -> None: ...

    def on_bar(self, bar: AnyBar, position: Decimal) -> StrategyIntent | None:
        """React to one closed bar, given the strategy's current position."""
        ...

    def inputs(self, symbol: str) -> tuple[InputSpec, ...]:
        """The inputs it needs, for a strategy configured on ``symbol``: the engine routes it these
        and nothing else."""
        ...

    def scan(
        self, run: BarRun, start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``on_bar`` over the bars ``start:stop`` of ``run`` in turn, the position unchanged,
        stopping after the first that gives an intent: the index after that bar (``stop`` when
        none does) and the intent. Exactly ``on_bar``'s decisions; a strategy may do it in one
        loop over the run's columns (``scan_each`` calls ``on_bar`` for each bar)."""
        ...


def scan_each(
    logic: SignalLogic, run: BarRun, start: int, stop: int, position: Decimal
) -> tuple[int, StrategyIntent | None]:
    """``SignalLogic.scan`` by calling ``on_bar`` for each bar."""
    on_bar, bar = logic.on_bar, run.bar
    for index in range(start, stop):
        intent = on_bar(bar(index), position)
        if intent is not None:
            return index + 1, intent
    return stop, None


def int_param(params: Mapping[str, str], name: str, minimum: int = 1) -> int:
    """A whole-number parameter of at least ``minimum``."""
    try:
        value = int(params[name])
    except KeyError:
        raise InvalidStrategyParams(f"parameter {name} is required") from None
    except ValueError:
        raise InvalidStrategyParams(
            f"parameter {name} must be a whole number, got {params[name]!r}"
        ) from None
    if value < minimum:
        raise InvalidStrategyParams(f"parameter {name} must be at least {minimum}, got {value}")
    return value


def decimal_param(params: Mapping[str, str], name: str) -> Decimal:
    """A positive decimal parameter."""
    try:
        value = Decimal(params[name])
    except KeyError:
        raise InvalidStrategyParams(f"parameter {name} is required") from None
    except InvalidOperation:
        raise InvalidStrategyParams(f"parameter {name} must be a number, got {params[name]!r}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidStrategyParams(f"parameter {name} must be positive, got {params[name]!r}")
    return value
