"""Response schemas (pydantic, for FastAPI and the served OpenAPI).

Row models are derived from the projections' row types, so the API cannot drift
from the views: every column, plus ``seq`` (the cursor), ``valid_from`` and
``valid_to`` (the notification ids between which this version was current).
Money is a Decimal, sent as a JSON string so no precision is lost.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from projections import TABLES
from projections.base import Table

MAX_ID = 2**63 - 1
"""The largest notification id or cursor a request may name (a signed 64-bit integer)."""


def _row_model(table: Table) -> type[BaseModel]:
    hints = typing.get_type_hints(table.row)
    fields: dict[str, Any] = {
        "seq": (int, Field(description="Order of this version in its table (the cursor).")),
        "valid_from": (int, Field(description="Notification id of the event that made this version.")),
        "valid_to": (
            int | None,
            Field(description="Notification id of the event that superseded it (null: current)."),
        ),
    }
    for name in table.columns:
        fields[name] = (hints[name], ...)
    name = table.row.__name__.removesuffix("Row")
    return create_model(name, __config__=ConfigDict(frozen=True), **fields)


ROW_MODELS: dict[str, type[BaseModel]] = {name: _row_model(table) for name, table in TABLES.items()}


def page_model(table: Table) -> type[BaseModel]:
    """A page of one table's rows."""
    return create_model(
        f"{ROW_MODELS[table.name].__name__}Page",
        items=(list[ROW_MODELS[table.name]], ...),  # type: ignore[valid-type,name-defined]
        next_cursor=(
            str | None,
            Field(
                description="Pass as ?cursor= for the next page (its pages stay at the moment of the "
                "first, so none skips or repeats a row that changes meanwhile); null at the end."
            ),
        ),
        as_of=(int | None, Field(description="The notification id answered for (null: now).")),
        views_at=(int, Field(description="The notification id the views have applied up to.")),
    )


PAGE_MODELS: dict[str, type[BaseModel]] = {name: page_model(table) for name, table in TABLES.items()}


OrderModel = ROW_MODELS["rm_orders"]
FillModel = ROW_MODELS["rm_fills"]


class OrderDetail(BaseModel):
    """One order now (or as of), every version of it (its status history), and its fills."""

    order: OrderModel  # type: ignore[valid-type]
    history: list[OrderModel]  # type: ignore[valid-type]
    fills: list[FillModel]  # type: ignore[valid-type]


EquityModel = ROW_MODELS["rm_equity"]


class EquityBucketOut(BaseModel):
    """Consecutive marks of the session: when the first and the last were, how many, and the
    lowest and highest equity and drawdown among them (a one-bar dip is a bucket's minimum)."""

    ts_first: int = Field(description="Event time (ns) of the bucket's first mark.")
    ts_last: int = Field(description="Event time (ns) of the bucket's last mark.")
    marks: int
    equity_min: Decimal
    equity_max: Decimal
    drawdown_min: Decimal = Field(description="Lowest drawdown from the high-water mark, in %.")
    drawdown_max: Decimal = Field(description="Deepest drawdown from the high-water mark, in %.")


class EquityChart(BaseModel):
    """An account's current session as a chart: its first and last marks exactly, and all of its
    marks in at most ``points`` buckets of consecutive marks, in order."""

    account: str | None = Field(description="The account charted (null: no mark yet).")
    session_id: str | None = Field(description="Its current session (null: no session in the views).")
    marks: int = Field(description="How many marks the buckets hold: every mark of the session.")
    first: EquityModel | None  # type: ignore[valid-type]
    last: EquityModel | None  # type: ignore[valid-type]
    buckets: list[EquityBucketOut]
    views_at: int = Field(description="The notification id the views have applied up to.")


class Health(BaseModel):
    """Liveness."""

    status: str


class Readiness(BaseModel):
    """Whether the views have caught up: lag per projection, in notification ids."""

    ready: bool
    log_head: int
    lag: dict[str, int]
    max_lag: int


class RecordedEventOut(BaseModel):
    """One event of the log as recorded."""

    notification_id: int
    topic: str
    event: dict[str, Any]


class EventPage(BaseModel):
    """A page of the raw event history."""

    items: list[RecordedEventOut]
    next_cursor: int | None


class CommandIn(BaseModel):
    """An operator command's scope and reason."""

    scope: str = Field("account", min_length=1, max_length=200, description="account or a strategy id")
    reason: str = Field(min_length=1, max_length=1000, description="Why (recorded in the log).")


class CommandRecorded(BaseModel):
    """Where the command was recorded."""

    notification_id: int
    command: str
    scope: str
    issued_by: str


class CausationStep(BaseModel):
    """One event in an order's chain of causes and consequences."""

    step: str
    notification_id: int
    topic: str
    event: dict[str, Any]


class OrderCausation(BaseModel):
    """Why an order happened and what came of it."""

    order_id: str
    steps: list[CausationStep]
    position_after_fills: list[dict[str, Any]]


class SourceRef(BaseModel):
    """Where something came from in the log."""

    notification_id: int
    topic: str


class BreakerCausation(BaseModel):
    """Why a breaker changed and what came of it."""

    breaker_change: int
    limits_in_force: dict[str, Any]
    limits_from: SourceRef | None
    steps: list[CausationStep]


class RiskStateOut(BaseModel):
    """What the risk engine knew at a moment (rebuilt by replaying the log up to it)."""

    at_ns: int
    inputs_replayed: int
    last_notification_id: int
    cash: Decimal
    equity: Decimal | None
    high_water: Decimal | None
    drawdown_pct: Decimal | None
    daily_loss_pct: Decimal | None
    limits_version: str
    breakers: dict[str, str]
    positions: dict[str, Decimal]
    exposures: dict[str, Decimal]
    last_market_data_age_ns: int | None


class ChainHead(BaseModel):
    """The hash chain's head: the last chained notification id and its hash (hex)."""

    notification_id: int
    hash: str
