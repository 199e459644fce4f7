"""Which appended events are refusals, and the bounded ``reason`` label each one gets.

Refusals are recorded as events, each with a ``reason``:
- ``market.Data.Rejected`` (a row failed validation at import) and
  ``risk.MarketData.Refused`` (the risk engine would not act on a bar): a reason code;
- ``risk.Order.Denied`` (our risk gate said no): a reason code;
- ``venue.Order.Rejected`` (the venue said no): free text from the venue, so the
  label is ``venue_error`` when the text says the venue failed (the words the
  execution-quality view uses) and ``venue_refused`` otherwise;
- ``operator.Command.Refused``: free text, so the label is ``command_not_applicable``.
A label is the reason code up to its first ``:``, at most 64 characters; past 50
distinct reasons for one topic, further ones are ``other`` (label sets stay bounded).
"""

from __future__ import annotations

from domain.events import (
    Event,
    MarketDataRefused,
    MarketDataRejected,
    OperatorCommandRefused,
    OrderDenied,
    VenueOrderRejected,
)
from projections.execution import ERROR_WORDS

MAX_REASONS_PER_TOPIC = 50
MAX_REASON_LENGTH = 64
CODED = (MarketDataRejected, MarketDataRefused, OrderDenied)


class RejectionLabels:
    """Gives each refusal event its ``reason`` label, keeping at most 50 reasons per topic."""

    kinds: frozenset[type[Event]] = frozenset((*CODED, VenueOrderRejected, OperatorCommandRefused))

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}

    def reason_of(self, event: Event) -> str:
        """The label for one refusal event (call only for ``kinds``)."""
        if isinstance(event, VenueOrderRejected):
            text = event.reason.lower()
            return "venue_error" if any(word in text for word in ERROR_WORDS) else "venue_refused"
        if isinstance(event, OperatorCommandRefused):
            return "command_not_applicable"
        code = getattr(event, "reason", "")
        reason = str(code).split(":", 1)[0].strip()[:MAX_REASON_LENGTH] or "unspecified"
        seen = self._seen.setdefault(event.TOPIC, set())
        if reason not in seen:
            if len(seen) >= MAX_REASONS_PER_TOPIC:
                return "other"
            seen.add(reason)
        return reason
