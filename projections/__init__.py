"""Read models: one module per projection, each a ``Projection`` with its tables.

``ALL`` lists them in the order a runner applies them; every one reads the log
alone (never another projection), so each can be rebuilt on its own.
"""

from __future__ import annotations

from projections.base import Projection, Row, Table, Version
from projections.breakers import BreakersProjection
from projections.execution import ExecutionQualityProjection
from projections.orders import OrdersProjection
from projections.performance import PerformanceProjection
from projections.portfolio import PortfolioProjection
from projections.sessions import SessionsProjection

ALL: tuple[type[Projection], ...] = (
    PortfolioProjection,
    OrdersProjection,
    BreakersProjection,
    ExecutionQualityProjection,
    PerformanceProjection,
    SessionsProjection,
)
TABLES: dict[str, Table] = {table.name: table for projection in ALL for table in projection.tables}

__all__ = ["ALL", "TABLES", "Projection", "Row", "Table", "Version"]
