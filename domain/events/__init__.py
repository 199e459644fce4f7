"""Events: frozen msgspec Structs with explicit, stable topics.

``ALL_EVENT_TYPES`` maps each topic to its class; the mapper in
infrastructure uses it to decode, and nothing else may add topics at runtime.
"""

from domain.events.base import ALL_EVENT_TYPES, Event, event_topic
from domain.events.market import (
    Bar,
    MarketDataImported,
    MarketDataRejected,
    Quote,
    TradeTick,
)

__all__ = [
    "ALL_EVENT_TYPES",
    "Bar",
    "Event",
    "MarketDataImported",
    "MarketDataRejected",
    "Quote",
    "TradeTick",
    "event_topic",
]
