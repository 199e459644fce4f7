"""The read-model API: ``create_app(settings)`` builds it; ``memesnipe serve`` runs it with uvicorn.

Routes are versioned under ``/v1``. Public: ``/healthz``, ``/readyz`` and the
dashboard's static page (which holds no data: it asks for a key and calls the
API with it). Everything else needs an API key: viewer for the views, the stream
and the metrics; auditor also for the event history and audit queries; operator
also for commands.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from application.engine.replay import NotASessionLog
from application.read_models.as_of import AsOfNotReady, BadAsOf
from infrastructure.api import audit, commands, stream, views
from infrastructure.api.auth import KeyCache, require
from infrastructure.api.keys import ApiKeyStore
from infrastructure.api.runtime import ApiRuntime
from infrastructure.api.schemas import Health, Readiness
from infrastructure.config import Settings
from infrastructure.metrics import Metrics, RequestMetrics, render
from infrastructure.version import code_version

DASHBOARD = Path(__file__).parent / "dashboard"
READY_LAG = 1_000
"""Ready while every projection is at most this many notification ids behind the log."""


class RefuseNul:
    """ASGI middleware: a request with NUL in its path or query gets 400 (PostgreSQL refuses NUL
    in text parameters, and no stored text holds it), not a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"").lower() or "\x00" in scope.get("path", "")
        ):
            response = JSONResponse(
                {"detail": "NUL characters are not allowed in a request"}, status_code=400
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings, run_projections: bool = True, key_ttl: float = 30.0) -> FastAPI:
    """The API over the store ``settings`` name (SQLite file or PostgreSQL schema)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ApiRuntime.open(settings, metrics)
        app.state.runtime = runtime
        if run_projections:
            runtime.start_projections()
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="MemeSnipe read-model API",
        version=code_version(),
        lifespan=lifespan,
        description=__doc__,
    )
    app.state.keys = KeyCache(ApiKeyStore(settings), ttl=key_ttl)
    metrics = Metrics()
    app.include_router(views.router, tags=["views"])
    app.include_router(stream.router, tags=["stream"])
    app.include_router(audit.router)
    app.include_router(commands.router)

    @app.exception_handler(BadAsOf)
    async def bad_as_of(request: Request, error: BadAsOf) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @app.exception_handler(NotASessionLog)
    async def not_a_session(request: Request, error: NotASessionLog) -> JSONResponse:
        return JSONResponse(
            {"detail": f"this store holds no session to answer for: {error}"}, status_code=409
        )

    @app.exception_handler(AsOfNotReady)
    async def not_ready(request: Request, error: AsOfNotReady) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> dict[str, Any]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=Readiness, tags=["health"])
    def readyz(request: Request) -> JSONResponse:
        """Ready (200) when the views are close to the log's head; 503 with the lag otherwise."""
        runtime: ApiRuntime = request.app.state.runtime
        lag = runtime.lag()
        worst = max(lag.values(), default=0)
        body = {"ready": worst <= READY_LAG, "log_head": runtime.log.last_notification_id(), "lag": lag}
        body["max_lag"] = worst
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(require("viewer"))])
    def exposition(request: Request) -> Response:
        """Prometheus exposition (a viewer key: ``authorization: credentials_file`` in Prometheus)."""
        runtime: ApiRuntime = request.app.state.runtime
        body, content_type = render(runtime.metrics, request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    app.add_middleware(RefuseNul)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.mount("/static", StaticFiles(directory=DASHBOARD), name="static")

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(DASHBOARD / "index.html")

    return app
