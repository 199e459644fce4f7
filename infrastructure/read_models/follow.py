"""Keeping the views current: run the projections whenever the log grows.

PostgreSQL wakes the follower at once (the ledger NOTIFYs its channel on every
append); SQLite is polled. Either way a wake-up only triggers ``run_once``,
which reads from the views' committed positions, so a missed or spurious
notification costs nothing but a read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from application.read_models.runner import BatchReport, ProjectionRunner

CHANNEL = "ledger_events"


class PollingWaiter:
    """Waits a fixed interval (SQLite)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def wait(self, stop: threading.Event) -> None:
        """Return after the interval, or at once when stopping."""
        stop.wait(self.interval)

    def close(self) -> None:
        """Nothing to release."""


class NotifyWaiter:
    """Waits for the ledger's NOTIFY (PostgreSQL), at most ``timeout`` seconds."""

    def __init__(self, conninfo: str, timeout: float) -> None:
        self.timeout = timeout
        self._conn: psycopg.Connection[Any] = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))

    def wait(self, stop: threading.Event) -> None:
        """Return at the next notification (draining any that queued), or after the timeout."""
        if stop.is_set():
            return
        for _ in self._conn.notifies(timeout=self.timeout, stop_after=1):
            break

    def close(self) -> None:
        """Close the listening connection."""
        self._conn.close()


def follow(
    runner: ProjectionRunner,
    waiter: PollingWaiter | NotifyWaiter,
    stop: threading.Event,
    on_batch: Callable[[BatchReport], None] | None = None,
    rounds: int | None = None,
) -> None:
    """Run the projections, then wait for more, until ``stop`` is set (or ``rounds`` runs)."""
    done = 0
    while not stop.is_set() and (rounds is None or done < rounds):
        report = runner.run_once()
        done += 1
        if on_batch is not None:
            on_batch(report)
        if rounds is not None and done >= rounds:
            break
        waiter.wait(stop)
