"""The equity curve of a report: a Decimal at each bar's close, kept as runs until it is read.

A backtest marks the account at every bar's close, a million times in a long run, and between
two fills the marks follow a rule: flat, the cash again and again; long, ``cash + quantity *
close`` over the closes a scan read (``CloseColumns``). ``EquityCurve`` keeps each such run as
the rule and its inputs (``repeat``, ``marks``: a few items appended to one list, whatever the
run's length) and renders the whole curve once, when it is first read:

- ``floats()``: every value as the float ``float()`` gives its Decimal (the statistics);
- ``json()``: the JSON array of the values, each the text ``str()`` gives its Decimal (the report);
- indexing, iteration: the Decimals (made from those texts: the same digits and exponent), for
  everything else; ``values``: the texts themselves.

The rendering is one C call over all the runs where it was built (``_equity_marks.c``): the exact
texts written straight into the JSON, and their floats, without a Decimal or a str per value.
Where the C module is not built, or a value is not one it renders exactly, the curve is rendered
in Decimal. Either way every value is the Decimal arithmetic's own.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, overload

import msgspec

from domain.market.columns import CloseColumns

_kernel: Any
try:
    from application.reporting import _equity_marks as _kernel  # type: ignore[attr-defined,no-redef]
except ImportError:  # not built here: the curve is rendered in Decimal
    _kernel = None

NATIVE = _kernel is not None
"""Whether the curve is rendered in C here."""

_VALUE, _REPEAT, _MARKS = 0, 1, 2
_FIELDS = 7
"""A run is seven items in a row of one flat list (no tuple each: a long curve has many runs,
which as tuples the cyclic garbage collector would walk): its kind, then
(0) value; (1) value, count; (2) cash, quantity, coefficients, exponents, start, stop; the rest
None. A value, cash and quantity are Decimals (or, for a value, the exact text of one)."""


class EquityCurve(Sequence[Decimal]):
    """The equity at each bar's close (see the module)."""

    __slots__ = ("_length", "_rendered", "_runs", "_values")

    def __init__(self, values: Sequence[Decimal | str] = ()) -> None:
        self._runs: list[Any] = []
        """The runs, ``_FIELDS`` items each."""
        self._length = 0
        self._values: list[Decimal | str] | None = None
        self._rendered: tuple[bytes, array[float]] | None = None
        self.extend(values)

    def __len__(self) -> int:
        return self._length

    @property
    def values(self) -> list[Decimal | str]:
        """Each value as the exact text of its Decimal (rendered at the first ask)."""
        if self._values is None:
            rendered: list[Decimal | str] = msgspec.json.decode(self.json())
            self._values = rendered
        return self._values

    @overload
    def __getitem__(self, index: int) -> Decimal: ...

    @overload
    def __getitem__(self, index: slice) -> list[Decimal]: ...

    def __getitem__(self, index: int | slice) -> Decimal | list[Decimal]:
        if isinstance(index, slice):
            return [Decimal(value) for value in self.values[index]]
        if self._values is None and self._runs and index in (-1, self._length - 1):
            return Decimal(_in_decimal(self._runs[-_FIELDS:], last_only=True)[0])  # the last, alone
        return Decimal(self.values[index])

    def __iter__(self) -> Iterator[Decimal]:
        return map(Decimal, self.values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EquityCurve | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def append(self, value: Decimal) -> None:
        """One more value."""
        self._runs += (_VALUE, value, None, None, None, None, None)
        self._grown(1)

    def extend(self, values: Sequence[Decimal | str]) -> None:
        """More values (Decimals, or exact texts of Decimals)."""
        for value in values:
            self._runs += (_VALUE, value, None, None, None, None, None)
        self._grown(len(values))

    def repeat(self, value: Decimal, count: int) -> None:
        """``value``, ``count`` more times."""
        if count > 0:
            self._runs += (_REPEAT, value, count, None, None, None, None)
            self._grown(count)

    def marks(self, cash: Decimal, quantity: Decimal, columns: CloseColumns, start: int, stop: int) -> None:
        """``cash + quantity * close`` for each close ``start:stop`` of ``columns`` (which must not
        change after), computed when the curve is read."""
        if stop > start:
            self._runs += (_MARKS, cash, quantity, columns.coefficients, columns.exponents, start, stop)
            self._grown(stop - start)

    def floats(self) -> array[float]:
        """Each value as a float (``float()`` of its Decimal)."""
        return self._render()[1]

    def json(self) -> bytes:
        """The values as a JSON array of their exact texts (what msgspec writes for the Decimals)."""
        return self._render()[0]

    def _render(self) -> tuple[bytes, array[float]]:
        if self._rendered is None:
            found = _kernel.render(self._runs) if _kernel is not None else None
            if found is None:
                runs = self._runs
                decimals = [
                    value
                    for at in range(0, len(runs), _FIELDS)
                    for value in _in_decimal(runs[at : at + _FIELDS])
                ]
                found = msgspec.json.encode(decimals), array("d", map(float, decimals)).tobytes()
            curve = array("d")
            curve.frombytes(found[1])
            self._rendered = found[0], curve
        return self._rendered

    def _grown(self, count: int) -> None:
        self._length += count
        self._values = self._rendered = None


def _in_decimal(run: Sequence[Any], last_only: bool = False) -> list[Decimal | str]:
    """A run's values (or its last value alone) computed in Decimal (the C rendering's reference)."""
    if run[0] == _VALUE:
        return [run[1]]
    if run[0] == _REPEAT:
        return [run[1]] * (1 if last_only else run[2])
    _, cash, quantity, coefficients, exponents, start, stop = run
    closes = CloseColumns(coefficients, coefficients, exponents)  # only the closes are read
    return [cash + quantity * closes.close(index) for index in range(stop - 1 if last_only else start, stop)]


def run_in_python() -> None:
    """Leave the C module unused in this process from now on (to measure what it saves)."""
    global _kernel, NATIVE
    _kernel, NATIVE = None, False
