"""A page of one symbol's bars as columns: each bar's times, close and volume, exactly, without a Decimal.

A close is ``coefficients[i] * 10 ** exponents[i]``: the coefficient and exponent of the close's
own Decimal (``Decimal(text).as_tuple()``'s digits and exponent), so ``close(i)`` is that very
Decimal, digits and exponent alike; a volume likewise (``volume(i)``). A strategy that scans many
quiet bars in one call reads them here (``SmaCross.scan``); the store fills the columns
straight from the bars' stored bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CloseColumns:
    """Times (ns), closes and volumes (coefficient, exponent) of a page's bars, in log order.

    ``ts_recv`` and the volumes are empty where the maker read the closes alone (a caller that
    builds columns of closes for its own use)."""

    ts: Sequence[int]
    coefficients: Sequence[int]
    """Each close's coefficient, signed (a machine array of int64: under 2**63 in magnitude)."""
    exponents: Sequence[int]
    """Each close's exponent (a machine array of int8)."""
    ts_recv: Sequence[int] = ()
    """Each bar's receipt time (ns)."""
    volume_coefficients: Sequence[int] = ()
    """Each volume's coefficient, as the closes'."""
    volume_exponents: Sequence[int] = ()
    """Each volume's exponent, as the closes'."""

    def __len__(self) -> int:
        return len(self.ts)

    def close(self, index: int) -> Decimal:
        """The close at ``index``: the Decimal it was stored as."""
        return Decimal(self.coefficients[index]).scaleb(self.exponents[index])

    def volume(self, index: int) -> Decimal:
        """The volume at ``index``: the Decimal it was stored as."""
        return Decimal(self.volume_coefficients[index]).scaleb(self.volume_exponents[index])


def exact_sum(coefficients: Sequence[int], exponents: Sequence[int], start: int, stop: int) -> Decimal | None:
    """The exact sum of the numbers ``start:stop`` given as (coefficient, exponent), as Decimal's
    addition of them in turn from ``Decimal(0)`` gives it when nothing rounds: at the smallest
    exponent of the terms and zero. None when a term is negative (the caller adds them one by one)."""
    terms = exponents[start:stop]
    if not terms:
        return Decimal(0)
    smallest = min(min(terms), 0)
    values = coefficients[start:stop]
    if min(values) < 0:
        return None
    if smallest == max(terms):  # the usual case: every term written with the same places
        total = sum(values)
    else:
        total = sum(c * 10 ** (e - smallest) for c, e in zip(values, terms, strict=True))
    return Decimal(total).scaleb(smallest)


def significant_digits(value: Decimal) -> int:
    """How many digits ``value``'s coefficient has (fewer than the context's precision: Decimal's
    additions leading to it were exact)."""
    return len(value.as_tuple().digits)
