"""Application errors: a use case could not do what was asked.

ApplicationError
├── NothingValidToIngest   every row of a source was refused (the refusals are recorded)
└── StoreNotReady          the store's schema is missing or behind; run ``memesnipe db migrate``
"""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of the application layer's errors."""


class NothingValidToIngest(ApplicationError):
    """No row of the source was valid. The refusals were recorded; fix the source.

    ``report`` is the ingestion's report (an ``IngestReport``), for printing.
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class StoreNotReady(ApplicationError):
    """The store is not migrated to the version this code needs. Run ``memesnipe db migrate``."""
