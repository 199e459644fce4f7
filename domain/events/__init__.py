"""Events: frozen msgspec Structs with explicit, stable topics.

``ALL_EVENT_TYPES`` maps each topic to its class; the mapper in
infrastructure uses it to decode, and nothing else may add topics at runtime.
"""

from domain.events.audit import CheckpointSigned
from domain.events.base import ALL_EVENT_TYPES, Event, event_topic
from domain.events.market import (
    AnyBar,
    Bar,
    BarClose,
    MarketDataImported,
    MarketDataRejected,
    Quote,
    StoredBar,
    TradeTick,
)
from domain.events.trading import (
    BreakerChanged,
    EventRef,
    LimitsChanged,
    MarketDataRefused,
    OperatorCommand,
    OperatorCommandRefused,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SessionEnded,
    SessionStarted,
    SignalGenerated,
    StrategyConfig,
    VenueOrderAccepted,
    VenueOrderCancelled,
    VenueOrderFilled,
    VenueOrderRejected,
    VenueReport,
)

__all__ = [
    "ALL_EVENT_TYPES",
    "AnyBar",
    "Bar",
    "BarClose",
    "BreakerChanged",
    "CheckpointSigned",
    "Event",
    "EventRef",
    "LimitsChanged",
    "MarketDataImported",
    "MarketDataRefused",
    "MarketDataRejected",
    "OperatorCommand",
    "OperatorCommandRefused",
    "OrderApproved",
    "OrderDenied",
    "OrderSubmitted",
    "Quote",
    "SessionEnded",
    "SessionStarted",
    "SignalGenerated",
    "StoredBar",
    "StrategyConfig",
    "TradeTick",
    "VenueOrderAccepted",
    "VenueOrderCancelled",
    "VenueOrderFilled",
    "VenueOrderRejected",
    "VenueReport",
    "event_topic",
]
