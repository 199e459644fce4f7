"""The risk manager under random interleavings of marks, days, commands and orders.

Invariants: no approved order breaks the trade or strategy caps (pending included);
HALTED and EMERGENCY approve nothing that adds exposure, REDUCING only reductions;
a drawdown tier, once crossed, holds until a recorded reset; drawdown and daily loss
computed incrementally equal a brute-force recomputation from every mark.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.risk.breaker import TradingState
from domain.risk.equity import day_of, loss_pct
from domain.risk.limits import NS_PER_DAY, RiskLimits
from domain.risk.manager import RiskManager

START = Decimal(10_000)
MOVES = st.decimals(min_value=Decimal("-0.04"), max_value=Decimal("0.03"), places=4)
NOTIONALS = st.decimals(min_value=Decimal(1), max_value=Decimal(2_000), places=2)


class RiskMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.limits = RiskLimits()
        self.risk = RiskManager(self.limits, START, ["s1"])
        self.ts = 0
        self.equity = START
        self.marks: list[tuple[int, Decimal]] = []
        self.rebase_index = 0  # marks from here count for the high-water mark
        self.rebase_equity = START
        self.worst_tier_since_reset = TradingState.ACTIVE

    @rule(move=MOVES, minutes=st.integers(min_value=1, max_value=600))
    def price_moves(self, move: Decimal, minutes: int) -> None:
        self.ts += minutes * 60 * 10**9
        self.equity = max(self.equity * (1 + move), Decimal(1))
        self.risk.mark(self.ts, self.equity, [("s1", self.equity)])
        self.marks.append((self.ts, self.equity))
        drawdown = self.risk.measures().drawdown_pct
        for tier, limit in (
            (TradingState.EMERGENCY, self.limits.drawdown_emergency_pct),
            (TradingState.HALTED, self.limits.drawdown_halt_pct),
            (TradingState.WARNING, self.limits.drawdown_warning_pct),
        ):
            if drawdown >= limit:
                self.worst_tier_since_reset = max(self.worst_tier_since_reset, tier)
                break

    @rule()
    def day_passes(self) -> None:
        self.ts += NS_PER_DAY

    @rule(command=st.sampled_from(["halt", "flatten", "resume"]))
    def operator(self, command: str) -> None:
        if (
            command == "resume"
            and self.risk.account.state == TradingState.ACTIVE
            and self.risk.account.ramp_step is None
        ):
            return
        self.risk.operator(command, "account", f"test {command}", self.ts)
        if command == "resume":
            self.worst_tier_since_reset = TradingState.ACTIVE
            self.rebase_index = len(self.marks)
            self.rebase_equity = self.equity

    @rule(notional=NOTIONALS, held=NOTIONALS, pending=NOTIONALS, reduces=st.booleans())
    def order(self, notional: Decimal, held: Decimal, pending: Decimal, reduces: bool) -> None:
        exposure = held + pending
        verdict = self.risk.check(
            strategy_id="s1",
            reduces=reduces,
            notional=notional,
            risk_amount=None,
            equity=self.equity,
            strategy_exposure=exposure,
            account_exposure=exposure,
            ts_ns=self.ts,
        )
        state = self.risk.state_for("s1")
        if verdict.approved:
            self.risk.record_order(self.ts)
        if verdict.approved and not reduces:
            assert state < TradingState.REDUCING
            cap = self.limits.max_trade_pct * self.risk.size_cap_pct("s1") / 100
            assert notional <= self.equity * cap / 100
            assert exposure + notional <= self.equity * self.limits.max_strategy_exposure_pct / 100
        if not verdict.approved:
            assert verdict.reason and verdict.message

    @invariant()
    def drawdown_tier_holds_until_reset(self) -> None:
        assert self.risk.account.state >= self.worst_tier_since_reset

    @invariant()
    def incremental_measures_equal_brute_force(self) -> None:
        if not self.marks:
            return
        since = [equity for _, equity in self.marks[self.rebase_index :]]
        high = max([self.rebase_equity, *since]) if self.rebase_index else max([START, *since])
        last_ts, last = self.marks[-1]
        today = day_of(last_ts)
        earlier = [equity for ts, equity in self.marks if day_of(ts) < today]
        day_open = earlier[-1] if earlier else START
        measures = self.risk.measures()
        assert measures.drawdown_pct == loss_pct(high, last)
        assert measures.daily_loss_pct == loss_pct(day_open, last)


RiskMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_risk_manager_state_machine = RiskMachine.TestCase
