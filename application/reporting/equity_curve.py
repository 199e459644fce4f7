"""The equity curve of a report: a Decimal at each bar's close, made from its exact text when asked.

A long position's marks over a scan's closes are computed in C where it was built
(``_equity_marks.c``): each as the text ``str()`` gives the exact Decimal, and the float
``float()`` gives it, without making a Decimal. ``EquityCurve`` keeps such a mark as that text
and reads it as its Decimal when asked (the same number, digits and exponent), so the report's
JSON writes every value as its exact text without a Decimal made for it, and everything else sees
Decimals. Where the C module is not built, or a mark is not one it reads exactly, the marks are
computed in Decimal (``marks`` returns None).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Context, Decimal
from typing import Any, overload

from domain.market.columns import CloseColumns

_kernel: Any
try:
    from application.reporting import _equity_marks as _kernel  # type: ignore[attr-defined,no-redef]
except ImportError:  # not built here: the marks are computed in Decimal
    _kernel = None

NATIVE = _kernel is not None
"""Whether the marks over columns are computed in C here."""

_SHIFT = Context(prec=28)
"""``parts``' shift of an 18-digit coefficient: exact whatever the caller's context."""


class EquityCurve(Sequence[Decimal]):
    """The equity at each bar's close (see the module)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Decimal | str] = ()) -> None:
        self.values: list[Decimal | str] = list(values)
        """Each value as a Decimal or as the exact text of one: what the report's JSON writes."""

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Decimal: ...

    @overload
    def __getitem__(self, index: slice) -> list[Decimal]: ...

    def __getitem__(self, index: int | slice) -> Decimal | list[Decimal]:
        if isinstance(index, slice):
            return [Decimal(value) for value in self.values[index]]
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
        self.values.append(value)

    def extend(self, values: Sequence[Decimal | str]) -> None:
        """More values (Decimals, or exact texts of Decimals)."""
        self.values.extend(values)


def parts(value: Decimal) -> tuple[int, int] | None:
    """(coefficient, exponent) of a finite Decimal whose coefficient fits int64, else None."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or len(digits) > 18:
        return None
    # The signed coefficient: the value shifted by its exponent, exact at 18 digits or fewer
    # (a third of the time of joining the digits' texts).
    return int(value.scaleb(-exponent, _SHIFT)), exponent


def marks(
    cash: tuple[int, int] | None,
    quantity: tuple[int, int] | None,
    columns: CloseColumns,
    start: int,
    stop: int,
) -> tuple[list[str], bytes] | None:
    """``cash + quantity * close`` for the closes ``start:stop`` (cash and quantity as ``parts``
    gives them): each mark's exact text and its float (packed doubles), computed in C; None where
    that is not done here (see the module)."""
    if _kernel is None or cash is None or quantity is None:
        return None
    found: tuple[list[str], bytes] | None = _kernel.marks(
        *cash, *quantity, columns.coefficients, columns.exponents, start, stop
    )
    return found
