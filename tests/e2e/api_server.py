"""A real API server (uvicorn on a free loopback port, in a thread) over a store with a backtest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from infrastructure.api.app import create_app
from infrastructure.api.keys import ApiKeyStore
from infrastructure.config import Settings


@dataclass(frozen=True)
class Served:
    """Where the server listens and a key of each role."""

    url: str
    keys: dict[str, str]
    settings: Settings

    def client(self, role: str | None = None) -> httpx.Client:
        """An HTTP client with the role's key (none when ``role`` is None)."""
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@contextmanager
def serve(settings: Settings, key_ttl: float = 0.0, run_projections: bool = True) -> Iterator[Served]:
    """Run the API over ``settings`` until the block ends; waits until the views have caught up."""
    store = ApiKeyStore(settings)
    keys = {role: store.create(f"test-{role}", role)[0] for role in ("viewer", "auditor", "operator")}
    app = create_app(settings, run_projections=run_projections, key_ttl=key_ttl)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    served = Served(f"http://127.0.0.1:{port}", keys, settings)
    with httpx.Client(base_url=served.url) as client:
        while client.get("/readyz").json()["max_lag"] > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the projections did not catch up")
            time.sleep(0.05)
    try:
        yield served
    finally:
        server.should_exit = True
        thread.join(timeout=10)
