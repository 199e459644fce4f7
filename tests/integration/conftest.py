"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.bootstrap import LedgerStore, migrate, open_ledger, open_read_models
from infrastructure.read_models.sql_store import SqlReadModels
from tests.conftest import settings_for

SQL_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=SQL_STORES)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LedgerStore, SqlReadModels]]:
    """A migrated ledger and its views, on SQLite and on PostgreSQL."""
    settings = settings_for(request.param, tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        views = open_read_models(settings)
        yield store, views
        views.close()
