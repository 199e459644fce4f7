"""The running sums behind ``sma_cross``, exact: scaled integers while they are small, Decimal after.

``IntSmas`` keeps the last ``slow`` closes multiplied by ``10 ** scale`` (scale: the most decimal
places seen so far) in a ring, and the sums of the last ``fast`` and of the last ``slow`` of them;
a cross compares ``fast_sum * slow`` with ``slow_sum * fast``. This is Decimal's arithmetic on
the same numbers, digit for digit, while no number has more than 28 digits (Decimal's precision):
every close times ``slow`` stays under ``LIMIT`` (2**62), so the sums stay under it and their
products under 2**93 < 10**28. A close beyond that turns the state, for good, into
``DecimalSmas``: the same sums as Decimals (exact copies: each Decimal sum has the exponent of the
smallest exponent seen, which is ``-scale``) going on in Decimal's context, as sma_cross version 1
always computed them.

``scan_columns`` steps ``IntSmas`` over a page's close columns in C where ``_sma_kernel.c`` was
built (else in Python, the same steps): the ring is a machine array both share.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

LIMIT = 2**62
"""In ``IntSmas``, every close (times ``10 ** scale``) times ``slow`` stays under this."""

NONE, BUY, CLOSE, NEEDS_PYTHON = 0, 1, 2, 3
"""What a step found: nothing, a cross up while flat, a cross down while long; and, from a scan
of columns, a close it cannot take as it is (more decimal places than ``scale``, or too large)."""

_ZERO = Decimal(0)

_kernel: Any
try:
    from domain.strategies import _sma_kernel as _kernel  # type: ignore[attr-defined,no-redef]
except ImportError:  # not built here: the same steps in Python
    _kernel = None

NATIVE = _kernel is not None
"""Whether column scans run in C here."""


def _signal(previous: int, sign: int, flat: bool, long: bool) -> int:
    if previous == -1 and sign == 1 and flat:
        return BUY
    if previous == 1 and sign == -1 and long:
        return CLOSE
    return NONE


class IntSmas:
    """The sums over closes scaled to integers (see the module)."""

    __slots__ = ("fast", "fast_sum", "next", "previous", "ring", "scale", "seen", "slow", "slow_sum")

    def __init__(self, fast: int, slow: int) -> None:
        self.fast, self.slow = fast, slow
        self.ring = array("q", bytes(8 * slow))
        """The last ``slow`` closes times ``10 ** scale``; the next one goes at ``next``."""
        self.next = 0
        self.seen = 0
        """Closes seen, up to ``slow``."""
        self.scale = 0
        self.fast_sum = 0
        self.slow_sum = 0
        self.previous = 0
        """Sign of (fast - slow) at the previous close; 0 before the slow window fills, or equal."""

    def value_of(self, close: Decimal) -> int | None:
        """``close`` times ``10 ** scale``, the scale raised first when the close has more decimal
        places; None when it does not fit ``LIMIT`` (the state must go to Decimal)."""
        _, digits, exponent = close.as_tuple()
        if not isinstance(exponent, int) or exponent < -60:
            return None
        if -exponent > self.scale and not self.rescale(-exponent):
            return None
        if len(digits) + self.scale + exponent > 19:  # at least 10**19 > LIMIT (or a huge zero)
            return None
        value = int(close.scaleb(self.scale))
        return value if abs(value) * self.slow < LIMIT else None

    def rescale(self, scale: int) -> bool:
        """Multiply everything by ``10 ** (scale - self.scale)``; False (nothing changed) when that
        would not fit ``LIMIT``."""
        factor = 10 ** (scale - self.scale)
        largest = max(max(self.ring, default=0), -min(self.ring, default=0))
        if largest * factor * self.slow >= LIMIT:
            return False
        self.ring = array("q", [value * factor for value in self.ring])
        self.fast_sum *= factor
        self.slow_sum *= factor
        self.scale = scale
        return True

    def step(self, value: int, flat: bool, long: bool) -> int:
        """Take one close (``value_of``'s): what it signals (``NONE``, ``BUY``, ``CLOSE``)."""
        ring, slow, fast, seen, at = self.ring, self.slow, self.fast, self.seen, self.next
        if seen == slow:
            self.slow_sum -= ring[at]
        if seen >= fast:
            self.fast_sum -= ring[at - fast]  # a negative index wraps around the ring
        ring[at] = value
        self.next = at + 1 if at + 1 < slow else 0
        self.fast_sum += value
        self.slow_sum += value
        if seen < slow:
            seen += 1
            self.seen = seen
            if seen < slow:
                return NONE
        left, right = self.fast_sum * slow, self.slow_sum * fast
        sign = (left > right) - (left < right)
        previous = self.previous
        if sign == previous:
            return NONE
        self.previous = sign
        return _signal(previous, sign, flat, long)

    def scan_columns(
        self,
        coefficients: Sequence[int],
        exponents: Sequence[int],
        start: int,
        stop: int,
        flat: bool,
        long: bool,
    ) -> tuple[int, int]:
        """``step`` over the closes ``start:stop`` of a page's columns, up to the first that
        signals: (the index after it, what it signalled), or (``stop``, ``NONE``); or (the index
        of a close it cannot take as it is, ``NEEDS_PYTHON``): the caller takes that one with
        ``value_of`` and goes on."""
        if _kernel is not None:
            index, found, self.next, self.seen, self.fast_sum, self.slow_sum, self.previous = _kernel.scan(
                coefficients,
                exponents,
                start,
                stop,
                self.ring,
                self.next,
                self.seen,
                self.scale,
                self.fast,
                self.fast_sum,
                self.slow_sum,
                self.previous,
                flat,
                long,
            )
            return index, found
        return self._scan_columns_python(coefficients, exponents, start, stop, flat, long)

    def _scan_columns_python(
        self,
        coefficients: Sequence[int],
        exponents: Sequence[int],
        start: int,
        stop: int,
        flat: bool,
        long: bool,
    ) -> tuple[int, int]:
        scale, bound = self.scale, LIMIT // self.slow
        for index in range(start, stop):
            exponent = exponents[index]
            if -exponent > scale:
                return index, NEEDS_PYTHON
            value = coefficients[index] * 10 ** (scale + exponent)
            if not -bound < value < bound:
                return index, NEEDS_PYTHON
            found = self.step(value, flat, long)
            if found:
                return index + 1, found
        return stop, NONE

    def sums(self) -> tuple[Decimal, Decimal]:
        """The two sums as the Decimals version 1 had (exponent ``-scale``)."""
        return Decimal(self.fast_sum).scaleb(-self.scale), Decimal(self.slow_sum).scaleb(-self.scale)

    def as_decimal(self) -> DecimalSmas:
        """The same state in Decimal, for closes that do not fit here (see the module)."""
        at, seen, ring = self.next, self.seen, self.ring
        ordered = list(ring[:seen]) if seen < self.slow else list(ring[at:]) + list(ring[:at])
        fast_sum, slow_sum = self.sums()
        closes = [Decimal(value).scaleb(-self.scale) for value in ordered]
        return DecimalSmas(self.fast, self.slow, closes, fast_sum, slow_sum, self.previous)


class DecimalSmas:
    """The sums in Decimal's context (version 1's arithmetic), for closes too large for ``IntSmas``."""

    __slots__ = ("closes", "fast", "fast_d", "fast_sum", "previous", "slow", "slow_d", "slow_sum")

    def __init__(
        self,
        fast: int,
        slow: int,
        closes: Sequence[Decimal] = (),
        fast_sum: Decimal = _ZERO,
        slow_sum: Decimal = _ZERO,
        previous: int = 0,
    ) -> None:
        self.fast, self.slow = fast, slow
        self.fast_d, self.slow_d = Decimal(fast), Decimal(slow)
        self.closes: deque[Decimal] = deque(closes, maxlen=slow)
        self.fast_sum, self.slow_sum, self.previous = fast_sum, slow_sum, previous

    def step(self, close: Decimal, flat: bool, long: bool) -> int:
        """Take one close: what it signals."""
        closes, fast, slow = self.closes, self.fast, self.slow
        count = len(closes)
        if count == slow:
            self.slow_sum -= closes[0]
        if count >= fast:
            self.fast_sum -= closes[-fast]
        closes.append(close)
        self.fast_sum += close
        self.slow_sum += close
        if count + 1 < slow:
            return NONE
        # fast/slow compared as fast_sum * slow vs slow_sum * fast: no division.
        left, right = self.fast_sum * self.slow_d, self.slow_sum * self.fast_d
        sign = 1 if left > right else (-1 if left < right else 0)
        previous = self.previous
        if sign == previous:
            return NONE
        self.previous = sign
        return _signal(previous, sign, flat, long)

    def sums(self) -> tuple[Decimal, Decimal]:
        """The two sums."""
        return self.fast_sum, self.slow_sum


def run_in_python() -> None:
    """Leave the C module unused in this process from now on (to measure what it saves)."""
    global _kernel, NATIVE
    _kernel, NATIVE = None, False
