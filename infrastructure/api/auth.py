"""Who is calling: API keys from ``Authorization: Bearer`` or ``X-API-Key``, and role checks.

No key, or an unknown or revoked one: 401. A valid key whose role ranks below the
route's: 403. Verified keys are cached for ``ttl`` seconds (a revocation takes
effect within that time) so a request does not cost a database round trip.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, status

from infrastructure.api.keys import RANK, ApiKey, ApiKeyStore, Role


class KeyCache:
    """Verified keys by their hash, each for ``ttl`` seconds."""

    def __init__(self, store: ApiKeyStore, ttl: float = 30.0) -> None:
        self.store = store
        self.ttl = ttl
        self._known: dict[bytes, tuple[ApiKey | None, float]] = {}
        self._lock = threading.Lock()

    def identify(self, key: str) -> ApiKey | None:
        """The key's identity, or None when it is not a valid key."""
        digest = hashlib.sha256(key.encode()).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._known.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = self.store.verify(key)
        with self._lock:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[digest] = (found, now + self.ttl)
        return found


def presented_key(request: Request) -> str | None:
    """The key in the request's headers, if any."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def require(role: Role) -> Callable[[Request], Coroutine[Any, Any, ApiKey]]:
    """A dependency admitting keys of ``role`` or a higher one."""

    async def check(request: Request) -> ApiKey:  # inline: a cached key costs no I/O
        key = presented_key(request)
        cache: KeyCache = request.app.state.keys
        found = cache.identify(key) if key else None
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid API key is required (Authorization: Bearer <key>, or X-API-Key)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if RANK[found.role] < RANK[role]:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this route needs the {role} role; this key has the {found.role} role",
            )
        return found

    return check
