"""A SHA-256 fed on a thread of its own, in order: the digest of a backtest's inputs.

Hashing a page of bars (a few MB) in line would add to the reader's work; hashlib releases the
interpreter lock for such buffers, so on a thread the hashing runs beside the engine, on the
core the run log's writer leaves idle part of the time. One worker takes the pages in the
order given, so the digest is the one hashing them in line would give.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor


class ThreadedSha256:
    """``hashlib.sha256`` whose ``update`` returns at once; ``hexdigest`` waits for the updates."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._worker: ThreadPoolExecutor | None = None
        self._last: Future[None] | None = None

    def update(self, data: bytes) -> None:
        """Fold in ``data`` after everything given before (the worker starts at the first)."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inputs-digest")
        self._last = self._worker.submit(self._hash.update, data)

    def hexdigest(self) -> str:
        """The digest of everything given so far."""
        if self._last is not None:
            self._last.result()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Stop the worker once the updates given are done (a later update starts another)."""
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
