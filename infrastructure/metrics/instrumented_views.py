"""``InstrumentedViews``: a ``ReadModelStore`` that times the read side's commits.

A view commit is one transaction (new row versions and the projections' tracking
positions): ``memesnipe_projection_commit_seconds`` is its latency and
``memesnipe_projection_versions_written_total{table}`` what it wrote. Reads and
resets are forwarded untouched, as is anything else the wrapped store has (``close``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from application.read_models.ports import ReadModelStore, RowQuery, StoredVersion
from infrastructure.metrics.registry import Metrics
from projections.base import Table, Version


class InstrumentedViews:
    """Wraps another ``ReadModelStore``; give it to the ``ProjectionRunner`` in its place."""

    def __init__(self, views: ReadModelStore, metrics: Metrics) -> None:
        self.wrapped = views
        self._metrics = metrics

    def positions(self) -> dict[str, int]:
        """Forwarded."""
        return self.wrapped.positions()

    def commit(self, positions: Mapping[str, int], changes: Mapping[str, Sequence[Version]]) -> None:
        """Commit through the wrapped store, then time it and count the versions written."""
        started = time.perf_counter()
        self.wrapped.commit(positions, changes)
        self._metrics.projections_committed(
            {table: len(versions) for table, versions in changes.items()}, time.perf_counter() - started
        )

    def flush(self) -> None:
        """Wait for the wrapped store's commits in flight."""
        self.wrapped.flush()

    def reset(self, projection: str, tables: Sequence[Table]) -> None:
        """Forwarded."""
        self.wrapped.reset(projection, tables)

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """Forwarded."""
        return self.wrapped.rows(query)

    def __getattr__(self, name: str) -> Any:
        # only reached for names this class lacks (``close``, ``table_dump``)
        if name == "wrapped":
            raise AttributeError(name)
        return getattr(self.wrapped, name)
