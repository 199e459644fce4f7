"""Read routes over the projections' views (viewer role): filters, cursors, ``as_of``.

The list routes are ``async`` and query inline: each query is an index lookup, cheaper than
the hop to a worker thread that a plain ``def`` route costs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from application.read_models.as_of import resolve_as_of
from application.read_models.equity_chart import MAX_POINTS, EquityChartReader
from application.read_models.ports import RowQuery
from domain.errors import InvalidMarketData
from domain.market.values import parse_timestamp
from infrastructure.api.auth import require
from infrastructure.api.runtime import ApiRuntime
from infrastructure.api.schemas import MAX_ID, PAGE_MODELS, ROW_MODELS, EquityChart, OrderDetail
from infrastructure.read_models.equity_chart import SqlEquityChart
from projections import ALL, TABLES
from projections.base import Table

router = APIRouter(prefix="/v1", dependencies=[Depends(require("viewer"))])


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after ``seq``, in the rows as of ``moment`` (the notification id
    the first page answered for, so a row that changes meanwhile is neither skipped nor repeated)."""

    seq: int
    moment: int

    def token(self) -> str:
        return f"{self.seq}.{self.moment}"


@dataclass(frozen=True)
class Paging:
    """Common query parameters: moment, time range, cursor, page size, order."""

    as_of: str | None
    ts_from: int | None
    ts_to: int | None
    cursor: Cursor | None
    limit: int
    newest_first: bool


CURSOR_PATTERN = r"^[0-9]{1,19}\.[0-9]{1,19}$"
OWNERS = {table.name: projection.name for projection in ALL for table in projection.tables}
"""Each view table's projection: its position is the moment the table's current rows stand for."""


def _cursor(value: str | None) -> Cursor | None:
    if value is None:
        return None
    seq, moment = (int(part) for part in value.split("."))
    if seq > MAX_ID or moment > MAX_ID:
        raise HTTPException(400, f"cursor: not one this API gave (numbers up to {MAX_ID})")
    return Cursor(seq, moment)


def _time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except InvalidMarketData as e:
        raise HTTPException(400, f"{name}: {e}") from None


async def paging(
    as_of: Annotated[
        str | None,
        Query(description="A notification id, or an ISO-8601 time: answer as of that moment."),
    ] = None,
    from_: Annotated[str | None, Query(alias="from", description="Event time from (ISO-8601).")] = None,
    to: Annotated[str | None, Query(description="Event time to, inclusive (ISO-8601).")] = None,
    cursor: Annotated[
        str | None,
        Query(
            pattern=CURSOR_PATTERN,
            description="next_cursor of the previous page (it keeps the first page's moment).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: Annotated[str, Query(pattern="^(asc|desc)$", description="asc: oldest first.")] = "asc",
) -> Paging:
    """Parse the common parameters (400 on a bad time)."""
    return Paging(as_of, _time(from_, "from"), _time(to, "to"), _cursor(cursor), limit, order == "desc")


PagingDep = Annotated[Paging, Depends(paging)]


def runtime_of(request: Request) -> ApiRuntime:
    """The app's open log and views."""
    runtime: ApiRuntime = request.app.state.runtime
    return runtime


def json_response(document: Any) -> Response:
    """JSON encoded by msgspec (Decimal as strings, as the schemas say), skipping pydantic's
    per-row validation: the schemathesis test holds the routes to their schemas."""
    return Response(msgspec.json.encode(document), media_type="application/json")


def page(runtime: ApiRuntime, table: Table, where: dict[str, object], paging: Paging) -> dict[str, Any]:
    """One page of a table's rows now or as of a moment; a cursor's pages stay at its moment."""

    def query(as_of: int | None) -> RowQuery:
        return RowQuery(
            table,
            where={k: v for k, v in where.items() if v is not None},
            as_of=as_of,
            all_versions=not table.state,
            ts_from=paging.ts_from,
            ts_to=paging.ts_to,
            after=paging.cursor.seq if paging.cursor else None,
            limit=paging.limit + 1,
            newest_first=paging.newest_first,
        )

    owner, cursor = OWNERS[table.name], paging.cursor
    if cursor is None and paging.as_of in (None, ""):  # now: positions and rows from one snapshot
        positions, rows = runtime.views.positions_and_documents(query(None))
        reached = runtime.views_position(positions)
        as_of = None
    else:  # as of a moment: the one asked for, or the one of the cursor's first page
        positions = runtime.views.positions()
        reached = runtime.views_position(positions)
        as_of = resolve_as_of(runtime.log, paging.as_of, reached)
        if cursor is not None:
            if as_of is not None and as_of != cursor.moment:
                raise HTTPException(400, "cursor: it belongs to pages as of another moment than as_of")
            if cursor.moment > positions.get(owner, 0):
                raise HTTPException(409, "cursor: the views were rebuilt since its first page; start again")
            as_of = cursor.moment
        rows = runtime.views.documents(query(as_of))
    moment = as_of if as_of is not None else positions.get(owner, 0)
    more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    return {
        "items": rows,
        "next_cursor": Cursor(rows[-1]["seq"], moment).token() if more else None,
        "as_of": as_of,
        "views_at": reached,
    }


def _route(path: str, table_name: str, summary: str, filters: tuple[str, ...]) -> None:
    table = TABLES[table_name]

    async def endpoint(request: Request, paging: PagingDep, **params: str | None) -> Response:
        return json_response(page(runtime_of(request), table, dict(params), paging))

    endpoint.__signature__ = _signature(filters)  # type: ignore[attr-defined]
    endpoint.__name__ = table_name.removeprefix("rm_")
    router.add_api_route(
        path, endpoint, methods=["GET"], response_model=PAGE_MODELS[table_name], summary=summary
    )


def _signature(filters: tuple[str, ...]) -> inspect.Signature:
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("paging", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PagingDep),
    ] + [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Query(max_length=200, description=f"Only this {name}.")],
        )
        for name in filters
    ]
    return inspect.Signature(parameters)


_route(
    "/positions",
    "rm_positions",
    "Positions per account, strategy and symbol",
    ("account", "strategy_id", "symbol"),
)
_route("/cash", "rm_cash", "Cash per account", ("account",))
_route("/equity", "rm_equity", "The equity curve and drawdown, marked at every bar", ("account", "symbol"))
_route(
    "/pnl/daily",
    "rm_daily_pnl",
    "P&L per strategy, symbol and UTC day",
    ("account", "strategy_id", "symbol", "day"),
)
_route(
    "/orders",
    "rm_orders",
    "The order blotter",
    ("account", "strategy_id", "symbol", "venue", "status", "order_id"),
)
_route(
    "/fills",
    "rm_fills",
    "Every fill with slippage and latency",
    ("account", "strategy_id", "symbol", "venue", "order_id"),
)
_route("/breakers", "rm_breakers", "Circuit breakers per account and strategy", ("account", "scope", "state"))
_route(
    "/operator-commands",
    "rm_operator_commands",
    "Operator commands and their outcome",
    ("account", "command"),
)
_route("/execution-quality", "rm_execution_quality", "Execution quality per venue", ("venue",))
_route(
    "/strategies/performance",
    "rm_strategy_performance",
    "Strategy performance over closed round trips",
    ("account", "strategy_id"),
)


@router.get(
    "/equity/chart",
    response_model=EquityChart,
    summary="The session's equity and drawdown, whole, in at most `points` buckets",
)
def equity_chart(
    request: Request,
    account: Annotated[
        str | None, Query(max_length=200, description="The account (default: that of the latest mark).")
    ] = None,
    points: Annotated[
        int, Query(ge=1, le=MAX_POINTS, description="The most buckets to answer.")
    ] = MAX_POINTS,
) -> Response:
    """Every mark of the account's current session, bucketed in the views' store (a plain ``def``:
    the query reads the whole session, so it runs on a worker thread, not the event loop)."""
    runtime = runtime_of(request)
    reader: EquityChartReader = SqlEquityChart(runtime.views)
    chart = reader.equity_chart(account, points)
    return json_response(
        {
            "account": chart.account,
            "session_id": chart.session_id,
            "marks": chart.marks,
            "first": chart.first,
            "last": chart.last,
            "buckets": chart.buckets,
            "views_at": runtime.views_position(chart.positions),
        }
    )


@router.get(
    "/breakers/history", response_model=PAGE_MODELS["rm_breakers"], summary="Every breaker transition"
)
def breaker_history(
    request: Request,
    paging: PagingDep,
    account: Annotated[str | None, Query(max_length=200)] = None,
    scope: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Every version of the breakers (each a transition with its reason and numbers)."""
    runtime = runtime_of(request)
    table = TABLES["rm_breakers"]
    history = Table(table.name, table.row, table.key, state=False)  # all versions, not only current
    return json_response(page(runtime, history, {"account": account, "scope": scope}, paging))


@router.get("/orders/{order_id}", response_model=OrderDetail, summary="One order, its status history, fills")
def order_detail(
    request: Request,
    order_id: str,
    as_of: Annotated[str | None, Query(description="A notification id or an ISO-8601 time.")] = None,
) -> Response:
    """The order as it stands (or stood), every version of it, and its fills."""
    runtime = runtime_of(request)
    at = resolve_as_of(runtime.log, as_of, runtime.views_position())
    orders, fills = TABLES["rm_orders"], TABLES["rm_fills"]
    where = {"order_id": order_id}
    current = runtime.views.documents(RowQuery(orders, where=where, as_of=at, limit=1))
    if not current:
        raise HTTPException(404, f"no order {order_id} in the views" + (f" as of {as_of}" if as_of else ""))
    history = runtime.views.documents(RowQuery(orders, where=where, as_of=at, all_versions=True, limit=1000))
    filled = runtime.views.documents(RowQuery(fills, where=where, as_of=at, all_versions=True, limit=1000))
    return json_response({"order": current[0], "history": history, "fills": filled})


__all__ = ["ROW_MODELS", "router"]
