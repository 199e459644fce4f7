"""Domain errors: business rules say no by raising one of these.

DomainError
├── InvalidIdentifier      a symbol, venue or id that cannot be right
└── InvalidMarketData      a market-data value breaks a rule (carries a reason code)
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises; callers may catch this one."""


class InvalidIdentifier(DomainError, ValueError):
    """A symbol, venue or id is malformed. Fix the input; retrying will not help."""


class InvalidMarketData(DomainError, ValueError):
    """A market-data value is unusable. ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
