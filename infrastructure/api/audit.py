"""Auditor routes: the raw event history, why an order happened, the risk state then, the chain head."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from application.audit.breaker_causation import explain_breaker
from application.audit.causation_indexed import explain_order_quickly
from application.audit.state_at import risk_state_at
from domain.errors import InvalidMarketData
from domain.market.values import parse_timestamp
from infrastructure.api.auth import require
from infrastructure.api.schemas import (
    MAX_ID,
    BreakerCausation,
    ChainHead,
    EventPage,
    OrderCausation,
    RiskStateOut,
)
from infrastructure.api.views import json_response, runtime_of
from infrastructure.store.codec import EventCodec

router = APIRouter(prefix="/v1/audit", dependencies=[Depends(require("auditor"))], tags=["audit"])


@router.get("/events", response_model=EventPage, summary="The event history, as recorded")
def events(
    request: Request,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="Events after this notification id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    topic: Annotated[list[str] | None, Query(description="Only these topics (repeatable).")] = None,
) -> dict[str, Any]:
    """Events in notification order (every field as recorded; money as strings)."""
    log = runtime_of(request).log
    items: list[dict[str, Any]] = []
    for page in log.read(after=cursor, page_size=limit + 1, topics=topic or ()):
        for recorded in page:
            items.append(
                {
                    "notification_id": recorded.notification_id,
                    "topic": recorded.event.TOPIC,
                    "event": msgspec.to_builtins(recorded.event),
                }
            )
        break
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": items[-1]["notification_id"] if more else None}


@router.get("/orders/{order_id}/why", response_model=OrderCausation, summary="Why an order happened")
def why(request: Request, order_id: str) -> dict[str, Any]:
    """The input bars, signal, risk decision (limits version, numbers), submission, reports, positions."""
    try:
        wanted = UUID(order_id)
    except ValueError:
        raise HTTPException(400, f"not an order id: {order_id!r}") from None
    runtime = runtime_of(request)
    story = explain_order_quickly(runtime.log, runtime.views, wanted)
    if not story.found:
        raise HTTPException(404, f"the log holds no decision about order {wanted}")
    labelled = story.steps()
    return {
        "order_id": str(wanted),
        "steps": [
            {
                "step": label,
                "notification_id": r.notification_id,
                "topic": r.event.TOPIC,
                "event": msgspec.to_builtins(r.event),
            }
            for label, r in labelled
        ],
        "position_after_fills": [{"notification_id": n, "position": str(p)} for n, p in story.position_after],
    }


@router.get(
    "/breakers/{notification_id}/why", response_model=BreakerCausation, summary="Why a breaker changed"
)
def why_breaker(request: Request, notification_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    """The limits in force, the trigger, the change with its numbers, the orders denied and flattened."""
    story = explain_breaker(runtime_of(request).log, notification_id)
    if story.change is None:
        raise HTTPException(
            404, f"notification id {notification_id} is not a breaker change (risk.Breaker.Changed)"
        )
    source = story.limits_from
    return json_response(
        {
            "breaker_change": notification_id,
            "limits_in_force": story.limits_in_force(),
            "limits_from": None
            if source is None
            else {"notification_id": source.notification_id, "topic": source.event.TOPIC},
            "steps": [
                {
                    "step": label,
                    "notification_id": r.notification_id,
                    "topic": r.event.TOPIC,
                    "event": msgspec.to_builtins(r.event),
                }
                for label, r in story.steps()
            ],
        }
    )


@router.get("/risk-state", response_model=RiskStateOut, summary="What the risk engine knew at a moment")
def risk_state(
    request: Request,
    at: Annotated[str, Query(description="ISO-8601 time or epoch seconds/ms/ns.")],
) -> Any:
    """Equity, high-water mark, drawdown, daily loss, exposures, limits, breakers, data age at ``at``."""
    try:
        at_ns = parse_timestamp(at)
    except InvalidMarketData as e:
        raise HTTPException(400, f"at: {e}") from None
    return risk_state_at(runtime_of(request).log, EventCodec(), at_ns)


@router.get("/chain", response_model=ChainHead, summary="The hash chain's head")
def chain(request: Request) -> dict[str, Any]:
    """The last chained notification id and its hash (``memesnipe audit verify`` checks the rest)."""
    log = runtime_of(request).log
    head = getattr(log, "chain_head", None)
    if head is None:
        raise HTTPException(404, "this store keeps no hash chain")
    notification_id, digest = head()
    return {"notification_id": notification_id, "hash": digest.hex()}
