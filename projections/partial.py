"""Events as a projection reads them when it needs only a few of their fields.

The runner asks the log to decode a topic into such a struct when every projection that reads
the topic names the same one (``Projection.partial``); msgspec then skips the other fields
without building them. Bars are most of a session's log and the portfolio reads three of their
fields: decoding a bar's five Decimals dominates the cost of reading it. A partial struct names
and types its fields exactly as its event does (a test checks it), so the values are the event's
own; a projection must still take the full event too (a store may decode it whole, and tests
apply events directly).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import msgspec

from domain.events import Bar


class BarClose(msgspec.Struct, frozen=True, gc=False):
    """A bar's symbol, time and close: what the portfolio marks positions with."""

    TOPIC: ClassVar[str] = Bar.TOPIC

    symbol: str
    ts_event: int
    close: Decimal
