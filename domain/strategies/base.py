"""The strategy interface: bars in, at most one intent out, no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import ClassVar, Literal, NamedTuple, Protocol

from domain.errors import DomainError
from domain.events.market import AnyBar
from domain.market.columns import CloseColumns


class InvalidStrategyParams(DomainError, ValueError):
    """A strategy parameter is missing or out of range; the message names it."""


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

    def scan(
        self, bars: Sequence[tuple[AnyBar, object]], start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``on_bar`` over the bars of ``bars[start:stop]`` (each item's first element) in turn, the
        position unchanged, stopping after the first that gives an intent: the index after that
        bar (``stop`` when none does) and the intent. Exactly ``on_bar``'s decisions; a strategy
        may do it in one loop (``scan_each`` calls ``on_bar`` for each bar)."""
        ...


class ScansColumns(Protocol):
    """A strategy that also scans a page's close columns (``CloseColumns``) in one call."""

    def scan_columns(
        self, columns: CloseColumns, start: int, stop: int, position: Decimal
    ) -> tuple[int, StrategyIntent | None]:
        """``SignalLogic.scan`` over the closes ``start:stop`` of ``columns``: the same decisions."""
        ...


def scan_each(
    logic: SignalLogic, bars: Sequence[tuple[AnyBar, object]], start: int, stop: int, position: Decimal
) -> tuple[int, StrategyIntent | None]:
    """``SignalLogic.scan`` by calling ``on_bar`` for each bar."""
    on_bar = logic.on_bar
    for index in range(start, stop):
        intent = on_bar(bars[index][0], position)
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
