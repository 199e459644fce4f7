"""Infrastructure errors: configuration, stores and sources.

InfrastructureError
├── ConfigError          a setting is missing or malformed; the message names it
├── SourceError          an input file cannot be read or has an unusable layout
└── StoreError           the event store refused or failed an operation
    └── MigrationError   a migration failed or an applied one was changed
"""

from __future__ import annotations


class InfrastructureError(Exception):
    """Base of the infrastructure layer's errors."""


class ConfigError(InfrastructureError, ValueError):
    """A setting is missing or malformed. Fix the named setting; nothing was changed."""


class SourceError(InfrastructureError):
    """An input file is unreadable or its header is unusable. Nothing was stored."""


class StoreError(InfrastructureError):
    """The event store failed; the transaction was rolled back, nothing partial was kept."""


class MigrationError(StoreError):
    """A migration failed (rolled back) or a recorded migration no longer matches its file."""
