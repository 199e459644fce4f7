"""Events as they happen: a server-sent-events stream of decisions and breaker changes.

Each message carries ``id: <notification id>`` so a client that reconnects with
``Last-Event-ID`` (or ``?after=``) resumes exactly after the last one it saw.
The log is polled (every ``STREAM_POLL_SECONDS``) in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from application.ports import EventLog
from domain.events import (
    BreakerChanged,
    OperatorCommand,
    OrderApproved,
    OrderDenied,
    OrderSubmitted,
    SignalGenerated,
    VenueOrderFilled,
)
from infrastructure.api.auth import require
from infrastructure.api.schemas import MAX_ID
from infrastructure.api.views import runtime_of

router = APIRouter(prefix="/v1", dependencies=[Depends(require("viewer"))])
TOPICS = [
    t.TOPIC
    for t in (
        SignalGenerated,
        OrderApproved,
        OrderDenied,
        OrderSubmitted,
        VenueOrderFilled,
        BreakerChanged,
        OperatorCommand,
    )
]
STREAM_POLL_SECONDS = 0.5
HEARTBEAT_POLLS = 30


def _fetch(log: EventLog, after: int, limit: int) -> list[tuple[int, str, bytes]]:
    """The first page of streamed events after ``after`` (at most ``limit``): one read, not the
    rest of the log (a client starting far back catches up a page a poll)."""
    for page in log.read(after=after, page_size=limit, topics=TOPICS):
        if page:
            return [(r.notification_id, r.event.TOPIC, msgspec.json.encode(r.event)) for r in page[:limit]]
    return []


def _resume_point(header: str) -> int:
    """The notification id in a ``Last-Event-ID`` header (400 unless a plain id)."""
    if not (header.isascii() and header.isdigit()) or int(header) > MAX_ID:
        raise HTTPException(400, f"Last-Event-ID must be a notification id (0 to {MAX_ID})")
    return int(header)


@router.get(
    "/stream",
    summary="Decisions and breaker changes as they happen (text/event-stream)",
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Start after this notification id.")
    ] = None,
    max_events: Annotated[int | None, Query(ge=1, le=100_000, description="Stop after this many.")] = None,
) -> StreamingResponse:
    """Server-sent events: ``event: <topic>``, ``id: <notification id>``, ``data: <event JSON>``."""
    log = runtime_of(request).log
    resume = request.headers.get("last-event-id")
    start = after if after is not None else _resume_point(resume) if resume else log.last_notification_id()

    async def messages() -> AsyncIterator[bytes]:
        position, sent, idle = start, 0, 0
        while max_events is None or sent < max_events:
            if await request.is_disconnected():
                return
            batch = await run_in_threadpool(_fetch, log, position, 500)
            for notification_id, topic, data in batch:
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (notification_id, topic.encode(), data)
                position, sent = notification_id, sent + 1
                if max_events is not None and sent >= max_events:
                    return
            if not batch:
                idle += 1
                if idle % HEARTBEAT_POLLS == 0:
                    yield b": keep-alive\n\n"
                await asyncio.sleep(STREAM_POLL_SECONDS)

    return StreamingResponse(
        messages(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
