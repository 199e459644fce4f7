"""What the API process holds open: the log, the views, the key cache, and a projection follower.

Built once by ``create_app``'s lifespan from frozen settings (the API's own
composition); nothing here is created at import.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field

from application.ports import EventLog
from application.read_models.runner import ProjectionRunner
from infrastructure.bootstrap import open_ledger, open_read_models
from infrastructure.config import Settings
from infrastructure.metrics import InstrumentedEventLog, InstrumentedViews, Metrics
from infrastructure.read_models.follow import NotifyWaiter, PollingWaiter, follow
from infrastructure.read_models.sql_store import SqlReadModels
from infrastructure.read_models.writer_lock import writer_lock
from projections import ALL


@dataclass
class ApiRuntime:
    """The open log and views of the store the API serves."""

    settings: Settings
    log: EventLog
    views: SqlReadModels
    metrics: Metrics
    _stack: ExitStack = field(default_factory=ExitStack)
    _stop: threading.Event = field(default_factory=threading.Event)
    _follower: threading.Thread | None = None

    @classmethod
    def open(cls, settings: Settings, metrics: Metrics) -> ApiRuntime:
        """Open the ledger and the views; ``metrics`` watches both."""
        stack = ExitStack()
        store = stack.enter_context(open_ledger(settings))
        views = open_read_models(settings)
        stack.callback(views.close)
        log = InstrumentedEventLog(store.log, metrics)  # operator commands are appended here
        metrics.watch_read_side(views, log.last_notification_id)
        return cls(settings, log, views, metrics, stack)

    def views_position(self, positions: dict[str, int] | None = None) -> int:
        """The notification id every projection has applied (the views agree up to it), from
        ``positions`` when the caller has just read them."""
        if positions is None:
            positions = self.views.positions()
        return min((positions.get(p.name, 0) for p in ALL), default=0)

    def lag(self) -> dict[str, int]:
        """Each projection's distance behind the log's head, in notification ids."""
        head = self.log.last_notification_id()
        positions = self.views.positions()
        return {p.name: max(0, head - positions.get(p.name, 0)) for p in ALL}

    def start_projections(self, interval: float = 0.1) -> None:
        """Run the projections in this process (a thread), following the log; ViewsBusy if
        another runner writes these views."""
        self._stack.enter_context(writer_lock(self.settings))
        writer = open_read_models(self.settings)
        runner = ProjectionRunner(self.log, InstrumentedViews(writer, self.metrics))
        waiter: NotifyWaiter | PollingWaiter = (
            NotifyWaiter(self.settings.postgres.conninfo(), timeout=1.0)
            if self.settings.store == "postgres"
            else PollingWaiter(interval)
        )
        self._follower = threading.Thread(
            target=follow, args=(runner, waiter, self._stop), name="projections", daemon=True
        )
        self._stack.callback(waiter.close)
        self._stack.callback(writer.close)
        self._stack.callback(runner.close)
        self._follower.start()

    def close(self) -> None:
        """Stop the follower and close everything."""
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        self._stack.close()
