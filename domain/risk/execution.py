"""The execution-quality breaker of one venue: latency, slippage and errors over a rolling window.

CLOSED: orders flow. OPEN: the window crossed a threshold; no new exposure until the
cool-down has passed. HALF_OPEN: one probe order may go; a clean probe (acknowledged
in time, filled within the slippage limit) closes the breaker with a fresh window,
a bad one opens it again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
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
        self._orders, self._fills = _Tally(self.window), _Tally(self.slippage)

    def use(self, limits: RiskLimits) -> None:
        """Judge by ``limits`` from now on; a new window size keeps the newest outcomes that fit."""
        self.limits = limits
        size = limits.execution_window
        if self.window.maxlen == size:
            return
        orders, fills = list(self.window), list(self.slippage)
        self.window, self.slippage = deque(maxlen=size), deque(maxlen=size)
        self._orders, self._fills = _Tally(self.window), _Tally(self.slippage)
        for outcome in orders[-size:]:  # a window is at least one (RiskLimits checks it)
            self._orders.append(outcome)
        for outcome in fills[-size:]:
            self._fills.append(outcome)

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
            problem = self._problem_with((outcome,), min_samples=1)
            if problem:
                self.opened_ns = ts_ns
                return self._move(ExecutionState.OPEN, f"probe failed: {problem}")
            if outcome.slippage_bps is None and not outcome.error:
                self.probe_in_flight = True  # acknowledged; the probe is judged again at its fill
                return None
            self._orders.clear()
            self._fills.clear()
            return self._move(ExecutionState.CLOSED, "probe clean: execution quality restored")
        (self._fills if outcome.slippage_bps is not None else self._orders).append(outcome)
        if self.state == ExecutionState.OPEN:
            return None
        problem = self._judge(self._orders) or self._judge(self._fills)
        if problem:
            self.opened_ns = ts_ns
            return self._move(ExecutionState.OPEN, problem)
        return None

    def _judge(self, tally: _Tally) -> str:
        # What ``_problem_with`` finds in the tally's window, remembered until it or the limits change.
        limits = self.limits
        if tally.verdict is not None and tally.verdict[0] is limits:
            return tally.verdict[1]
        problem = ""
        count = len(tally.window)
        if count >= limits.execution_min_samples and not tally.all_within(limits):
            if tally.errors or limits.max_venue_error_pct < 0:  # else a rate of 0 passes
                problem = self._error_rate_problem(tally.errors, count)
            if not problem and tally.latencies:
                problem = self._latency_problem(tally.latency_sum // tally.latencies, tally.latencies)
            if not problem and tally.slips:
                problem = self._slippage_problem(sum(tally.slips, _ZERO) / len(tally.slips))
        tally.verdict = (limits, problem)
        return problem

    def _problem_with(self, outcomes: Sequence[Outcome], min_samples: int) -> str:
        if len(outcomes) < min_samples:
            return ""
        problem = self._error_rate_problem(sum(1 for o in outcomes if o.error), len(outcomes))
        latencies = [o.latency_ns for o in outcomes if o.latency_ns is not None]
        if not problem and latencies:
            problem = self._latency_problem(sum(latencies) // len(latencies), len(latencies))
        slips = [o.slippage_bps for o in outcomes if o.slippage_bps is not None]
        if not problem and slips:
            problem = self._slippage_problem(sum(slips, _ZERO) / len(slips))
        return problem

    def _error_rate_problem(self, errors: int, count: int) -> str:
        limits = self.limits
        rate = Decimal(errors * 100) / count
        if rate > limits.max_venue_error_pct:
            return (
                f"venue error rate {rate:.1f}% over the last {count} orders, "
                f"limit {limits.max_venue_error_pct}%"
            )
        return ""

    def _latency_problem(self, mean: int, count: int) -> str:
        limits = self.limits
        if mean > limits.max_ack_latency_ns:
            return (
                f"mean acknowledgement latency {mean / 1e6:.0f} ms over {count} orders, "
                f"limit {limits.max_ack_latency_ns / 1e6:.0f} ms"
            )
        return ""

    def _slippage_problem(self, mean: Decimal) -> str:
        limits = self.limits
        if mean > limits.max_slippage_bps:
            return (
                f"mean slippage {mean:.1f} bps against the expected price, "
                f"limit {limits.max_slippage_bps} bps"
            )
        return ""

    def _move(self, after: ExecutionState, reason: str) -> ExecutionChange:
        before, self.state = self.state, after
        return ExecutionChange(before, after, reason)


class _Tally:
    """One window of outcomes with its counts kept as it moves (errors, latencies) and its
    slippages in window order, so judging it takes no pass over the outcomes (the slippages
    are still summed in order, as a fresh sum rounds), and the verdict until it changes."""

    def __init__(self, window: deque[Outcome]) -> None:
        self.window = window
        self.errors = self.latency_sum = self.latencies = 0
        self.slips: deque[Decimal] = deque()
        self.verdict: tuple[RiskLimits, str] | None = None
        self._limits: RiskLimits | None = None
        self.near_limits = 0
        """Outcomes in the window at or past ``_limits``' latency or slippage limit."""

    def append(self, outcome: Outcome) -> None:
        window = self.window
        if len(window) == window.maxlen:
            self._count(window[0], -1)
            if window[0].slippage_bps is not None:
                self.slips.popleft()
        window.append(outcome)
        self._count(outcome, 1)
        if outcome.slippage_bps is not None:
            self.slips.append(outcome.slippage_bps)
        self.verdict = None

    def clear(self) -> None:
        self.window.clear()
        self.errors = self.latency_sum = self.latencies = self.near_limits = 0
        self.slips.clear()
        self.verdict = None

    def all_within(self, limits: RiskLimits) -> bool:
        """No error in the window and every latency and slippage below its limit: no mean can be
        past a limit then, so there is nothing to judge."""
        if self._limits is not limits:
            self._limits = limits
            self.near_limits = sum(self._near(outcome) for outcome in self.window)
        return not self.errors and not self.near_limits

    def _near(self, outcome: Outcome) -> bool:
        # At or past the limits ``near_limits`` counts against (any latency or slippage when none yet).
        limits = self._limits
        if limits is None:
            return True
        latency, slippage = outcome.latency_ns, outcome.slippage_bps
        return (latency is not None and latency >= limits.max_ack_latency_ns) or (
            slippage is not None and slippage >= limits.max_slippage_bps
        )

    def _count(self, outcome: Outcome, sign: int) -> None:
        self.errors += sign * outcome.error
        self.near_limits += sign * self._near(outcome)
        if outcome.latency_ns is not None:
            self.latency_sum += sign * outcome.latency_ns
            self.latencies += sign
