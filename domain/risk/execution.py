"""The execution-quality breaker of one venue: latency, slippage and errors over a rolling window.

CLOSED: orders flow. OPEN: the window crossed a threshold; no new exposure until the
cool-down has passed. HALF_OPEN: one probe order may go; a clean probe (acknowledged
in time, filled within the slippage limit) closes the breaker with a fresh window,
a bad one opens it again.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from domain.risk.limits import RiskLimits

_ZERO = Decimal(0)


class ExecutionState(StrEnum):
    """Whether orders may reach the venue."""

    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class Outcome(NamedTuple):
    """One observation about an order at the venue."""

    latency_ns: int | None
    slippage_bps: Decimal | None
    error: bool


class ExecutionChange(NamedTuple):
    """A change of the breaker's state, with why."""

    before: ExecutionState
    after: ExecutionState
    reason: str


class ExecutionBreaker:
    """Judges a venue by its recent orders."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.state = ExecutionState.CLOSED
        self.window: deque[Outcome] = deque(maxlen=limits.execution_window)
        """One entry per order: its acknowledgement (with latency) or its rejection."""
        self.slippage: deque[Outcome] = deque(maxlen=limits.execution_window)
        """One entry per fill, with its slippage."""
        self.opened_ns = 0
        self.probe_in_flight = False

    def allows_new_exposure(self, ts_ns: int) -> tuple[bool, ExecutionChange | None]:
        """Whether an order adding exposure may go now (and the move to HALF_OPEN it may cause)."""
        if self.state == ExecutionState.CLOSED:
            return True, None
        if self.state == ExecutionState.OPEN and ts_ns - self.opened_ns >= self.limits.execution_cooldown_ns:
            change = self._move(ExecutionState.HALF_OPEN, "cool-down over: one probe order may go")
            self.probe_in_flight = True
            return True, change
        if self.state == ExecutionState.HALF_OPEN and not self.probe_in_flight:
            self.probe_in_flight = True
            return True, None
        return False, None

    def observe(self, outcome: Outcome, ts_ns: int) -> ExecutionChange | None:
        """Take one outcome; open, close or re-open as the window (or the probe) says."""
        if self.state == ExecutionState.HALF_OPEN:
            self.probe_in_flight = False
            problem = self._problem_with([outcome], min_samples=1)
            if problem:
                self.opened_ns = ts_ns
                return self._move(ExecutionState.OPEN, f"probe failed: {problem}")
            if outcome.slippage_bps is None and not outcome.error:
                self.probe_in_flight = True  # acknowledged; the probe is judged again at its fill
                return None
            self.window.clear()
            self.slippage.clear()
            return self._move(ExecutionState.CLOSED, "probe clean: execution quality restored")
        (self.slippage if outcome.slippage_bps is not None else self.window).append(outcome)
        if self.state == ExecutionState.OPEN:
            return None
        problem = self._problem_with(
            list(self.window), self.limits.execution_min_samples
        ) or self._problem_with(list(self.slippage), self.limits.execution_min_samples)
        if problem:
            self.opened_ns = ts_ns
            return self._move(ExecutionState.OPEN, problem)
        return None

    def _problem_with(self, outcomes: list[Outcome], min_samples: int) -> str:
        limits = self.limits
        if len(outcomes) < min_samples:
            return ""
        errors = sum(1 for o in outcomes if o.error)
        rate = Decimal(errors * 100) / len(outcomes)
        if rate > limits.max_venue_error_pct:
            return (
                f"venue error rate {rate:.1f}% over the last {len(outcomes)} orders, "
                f"limit {limits.max_venue_error_pct}%"
            )
        latencies = [o.latency_ns for o in outcomes if o.latency_ns is not None]
        if latencies and (mean := sum(latencies) // len(latencies)) > limits.max_ack_latency_ns:
            return (
                f"mean acknowledgement latency {mean / 1e6:.0f} ms over {len(latencies)} orders, "
                f"limit {limits.max_ack_latency_ns / 1e6:.0f} ms"
            )
        slips = [o.slippage_bps for o in outcomes if o.slippage_bps is not None]
        if slips and (worst := sum(slips, _ZERO) / len(slips)) > limits.max_slippage_bps:
            return (
                f"mean slippage {worst:.1f} bps against the expected price, "
                f"limit {limits.max_slippage_bps} bps"
            )
        return ""

    def _move(self, after: ExecutionState, reason: str) -> ExecutionChange:
        before, self.state = self.state, after
        return ExecutionChange(before, after, reason)
