"""The risk manager: breakers for the account and each strategy, and the pre-trade checks.

Every check returns the numbers it used; reason codes: halted, reducing_only,
trade_too_large, strategy_exposure, account_exposure, order_rate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from domain.risk.breaker import Breaker, BreakerError, Measures, TradingState, Transition
from domain.risk.equity import EquityWatch
from domain.risk.limits import NS_PER_DAY, RiskLimits, StrategyLimits

_HUNDRED = Decimal(100)
NS_PER_SECOND = 1_000_000_000


class Verdict(NamedTuple):
    """A pre-trade verdict: reason code and message empty when approved."""

    approved: bool
    reason: str
    message: str


APPROVED = Verdict(True, "", "")


class ScopedTransition(NamedTuple):
    """A breaker transition and whose breaker it was (``account`` or a strategy id)."""

    scope: str
    transition: Transition


class RiskManager:
    """Limits, breakers and equity watches of one account and its strategies."""

    def __init__(
        self,
        limits: RiskLimits,
        starting_equity: Decimal,
        strategy_ids: Sequence[str],
        strategy_limits: Mapping[str, StrategyLimits] | None = None,
    ) -> None:
        self.limits = limits.validated()
        self.account = Breaker()
        self.account_watch = EquityWatch(starting_equity, limits.day_offset_ns)
        self.strategies = {sid: Breaker(strategy=True) for sid in strategy_ids}
        self.strategy_watches = {
            sid: EquityWatch(starting_equity, limits.day_offset_ns) for sid in strategy_ids
        }
        self._recent_orders: deque[int] = deque()
        self._own_limits = dict(strategy_limits or {})
        self.strategy_limits: dict[str, RiskLimits] = {}
        self.calm_from = self.calm_until = 0
        """While set (``calm_from <= ts < calm_until``), the last mark found every breaker calm and
        every watch quiet, on that mark's day: a mark of the same values at ``ts`` would change
        nothing, so a caller that knows its values have not moved may skip it. Cleared by any
        mark that was not calm and by whatever moves a breaker, a watch or the limits."""
        self.watch_for(self.limits)

    def watch_for(self, limits: RiskLimits) -> None:
        """Use ``limits`` from now on (breakers and watches keep their state)."""
        self.calm_from = self.calm_until = 0
        self.limits = limits
        self.account_watch.watch_for(limits.drawdown_warning_pct, limits.daily_loss_warning_pct)
        for strategy_id, watch in self.strategy_watches.items():
            own = self._own_limits.get(strategy_id)
            effective = own.applied_to(limits) if own else limits
            self.strategy_limits[strategy_id] = effective
            watch.watch_for(effective.strategy_drawdown_halt_pct, _HUNDRED)

    def mark(
        self,
        ts_ns: int,
        equity: Decimal,
        strategy_equity: Sequence[tuple[str, Decimal]],
        confirmed: bool = True,
    ) -> list[ScopedTransition]:
        """Take the marks of a bar close (at accepted prices); return the breaker transitions they
        cause, in order. ``confirmed``: no refused price is pending anywhere (a halt for one lifts)."""
        changes: list[ScopedTransition] = []
        account, watch = self.account, self.account_watch
        calm = account.calm and watch.quiet_mark(equity, ts_ns)
        if not calm:
            new_day = watch.observe(equity, ts_ns)
            measures = watch.measures()
            if new_day and (change := account.new_day(measures)):
                changes.append(ScopedTransition("account", change))
            if change := account.assess(measures, self.limits, ts_ns, confirmed):
                changes.append(ScopedTransition("account", change))
        for strategy_id, value in strategy_equity:
            watch = self.strategy_watches[strategy_id]
            breaker = self.strategies[strategy_id]
            if breaker.calm and watch.quiet_mark(value, ts_ns):
                continue
            calm = False
            watch.observe(value, ts_ns)
            if change := breaker.assess(
                watch.measures(), self.strategy_limits[strategy_id], ts_ns, confirmed
            ):
                changes.append(ScopedTransition(strategy_id, change))
        if not calm:
            self.calm_from = self.calm_until = 0
        elif not self.calm_from <= ts_ns < self.calm_until:
            offset = self.account_watch.offset_ns  # every watch counts days from the same offset
            self.calm_from = (ts_ns - offset) // NS_PER_DAY * NS_PER_DAY + offset
            self.calm_until = self.calm_from + NS_PER_DAY
        return changes

    def probe(
        self, ts_ns: int, equity: Decimal, strategy_equity: Sequence[tuple[str, Decimal]]
    ) -> list[ScopedTransition]:
        """Judge the marks of a refused price against the watches, without taking them: a tier they
        reach halts new exposure until a confirmed price (``Breaker.probe``)."""
        changes: list[ScopedTransition] = []
        if change := self.account.probe(self.account_watch.probe(equity, ts_ns), self.limits):
            changes.append(ScopedTransition("account", change))
        for strategy_id, value in strategy_equity:
            watch, limits = self.strategy_watches[strategy_id], self.strategy_limits[strategy_id]
            if change := self.strategies[strategy_id].probe(watch.probe(value, ts_ns), limits):
                changes.append(ScopedTransition(strategy_id, change))
        if changes:
            self.calm_from = self.calm_until = 0
        return changes

    def state_for(self, strategy_id: str) -> TradingState:
        """The stricter of the account's state and the strategy's."""
        return max(self.account.state, self.strategies[strategy_id].state)

    def size_cap_pct(self, strategy_id: str) -> Decimal:
        """The recovery ramp's cap, the stricter of the two breakers'."""
        return min(
            self.account.size_cap_pct(self.limits), self.strategies[strategy_id].size_cap_pct(self.limits)
        )

    def check(
        self,
        *,
        strategy_id: str,
        reduces: bool,
        notional: Decimal,
        risk_amount: Decimal | None,
        equity: Decimal,
        strategy_exposure: Decimal,
        account_exposure: Decimal,
        ts_ns: int,
    ) -> Verdict:
        """Approve or deny one order; exposures include pending orders and exclude this one."""
        state = self.state_for(strategy_id)
        if state >= TradingState.HALTED and not reduces:
            return Verdict(False, "halted", f"trading is {state.name}: no new exposure")
        if state == TradingState.REDUCING and not reduces:
            return Verdict(False, "reducing_only", "trading is REDUCING: only orders that reduce exposure")
        rate = self._rate_verdict(ts_ns)
        if not rate.approved or reduces:
            return rate
        limits = self.strategy_limits[strategy_id]
        cap_pct = limits.max_trade_pct * self.size_cap_pct(strategy_id) / _HUNDRED
        sized = risk_amount if limits.trade_cap_mode == "risk" and risk_amount is not None else notional
        if sized > equity * cap_pct / _HUNDRED:
            what = "risk (quantity x stop distance)" if sized is risk_amount else "notional"
            return Verdict(
                False,
                "trade_too_large",
                f"trade {what} would be {_pct(sized, equity)} of equity, limit {cap_pct:.2f}%",
            )
        after = strategy_exposure + notional
        if after > equity * limits.max_strategy_exposure_pct / _HUNDRED:
            return Verdict(
                False,
                "strategy_exposure",
                f"strategy exposure would be {_pct(after, equity)} "
                f"of equity, limit {limits.max_strategy_exposure_pct}%",
            )
        after = account_exposure + notional
        if after > equity * self.limits.max_account_exposure_pct / _HUNDRED:
            return Verdict(
                False,
                "account_exposure",
                f"account exposure would be {_pct(after, equity)} "
                f"of equity, limit {self.limits.max_account_exposure_pct}%",
            )
        return APPROVED

    def record_order(self, ts_ns: int) -> None:
        """Count an order sent, for the rate limit."""
        self._recent_orders.append(ts_ns)

    def operator(self, command: str, scope: str, why: str, ts_ns: int) -> Transition | None:
        """Apply halt, resume or flatten to a breaker; raises BreakerError when it does not apply."""
        self.calm_from = self.calm_until = 0
        breaker = self.account if scope == "account" else self.strategies[scope]
        watch = self.account_watch if scope == "account" else self.strategy_watches[scope]
        measures = watch.measures()
        if command == "halt":
            return breaker.halt(why, measures)
        if command == "flatten":
            return breaker.flatten(why, measures)
        if breaker.state == TradingState.ACTIVE and breaker.ramp_step is None:
            raise BreakerError(f"{scope} is ACTIVE and not recovering; there is nothing to resume")
        watch.rebase()
        return breaker.reset(why, watch.measures(), ts_ns)

    def measures(self, scope: str = "account") -> Measures:
        """The latest measures of a scope."""
        watch = self.account_watch if scope == "account" else self.strategy_watches[scope]
        return watch.measures()

    def _rate_verdict(self, ts_ns: int) -> Verdict:
        recent = self._recent_orders
        while recent and recent[0] <= ts_ns - NS_PER_SECOND:
            recent.popleft()
        if len(recent) >= self.limits.orders_per_second:
            return Verdict(
                False,
                "order_rate",
                f"{len(recent)} orders in the last second, limit {self.limits.orders_per_second}",
            )
        return APPROVED


def _pct(amount: Decimal, equity: Decimal) -> str:
    if equity <= 0:
        return "unbounded (equity is not positive)"
    return f"{amount / equity * _HUNDRED:.2f}%"
