"""The full risk engine: breakers marked at every bar, limits on every order, market-data guards.

Wraps the domain's RiskManager with what the account book shows: equity from cash, holdings
and the last prices; exposures from holdings and pending orders; which orders reduce
exposure. Breaker transitions become ``risk.Breaker.Changed`` decisions; an EMERGENCY asks
the engine to flatten. It implements the engine's ``RiskEngine`` port and reads the account
only through the ``AccountBook``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from application.engine.marks import Marks
from application.engine.parts import Verdict
from application.engine.screen import LongMarks, RunScreen
from domain.errors import InvalidMarketData
from domain.events import (
    AnyBar,
    BreakerChanged,
    Event,
    EventRef,
    LimitsChanged,
    MarketDataRefused,
    OperatorCommand,
    OperatorCommandRefused,
    SessionEnded,
    StrategyConfig,
)
from domain.ids import derive_id
from domain.market.runs import BarRun
from domain.risk.adaptive import VolatilityRegime, scaled
from domain.risk.breaker import BreakerError, TradingState
from domain.risk.execution import ExecutionBreaker, ExecutionChange, Outcome
from domain.risk.limits import InvalidLimits, RiskLimits
from domain.risk.manager import RiskManager, ScopedTransition
from domain.risk.manager import Verdict as ManagerVerdict
from domain.risk.market_guard import MarketGuard
from domain.trading.book import AccountBook, Holding


class FullRisk:
    """The account's and the strategies' breakers, and the pre-trade limits."""

    passive = False

    def __init__(
        self, limits: RiskLimits, book: AccountBook, strategies: Sequence[StrategyConfig], venue: str
    ) -> None:
        starting_cash = book.starting_cash
        own = {s.strategy_id: s.limits for s in strategies if s.limits is not None}
        self._manager = RiskManager(limits, starting_cash, [s.strategy_id for s in strategies], own)
        self.book = book
        self.marks = Marks(self._manager, book)
        self.limits = self.base_limits = self._manager.limits
        self.regime = VolatilityRegime(limits.adaptive_window) if limits.adaptive_window else None
        self.regime_symbol = strategies[0].symbol if strategies else ""
        self.scale = Decimal(1)
        self.starting_cash = starting_cash
        self.stream = derive_id("breakers")
        self.changes = 0
        self.refusal_stream = derive_id("operator-refusals")
        self.data_refusals = derive_id("market-data-refusals")
        self.refusals = 0
        self.execution = ExecutionBreaker(self.limits)
        self.venue = venue
        self.pending_changes: list[BreakerChanged] = []
        """Breaker changes made while checking an order; the engine records them before the verdict."""
        self.guards: dict[str, MarketGuard] = {}
        self.refusal_count = 0
        self._last_screen: RunScreen | None = None
        self._screened: LongMarks | None = None
        self._absorbed: tuple[BarRun, int] | None = None
        """The run and the index after the last bar ``absorb`` took (the guard's last close is the
        one before it, until it admits another bar)."""
        """What the last ``quiet_until`` screened the marks by."""
        self._stop_pct = {s.strategy_id: s.stop_loss_pct for s in strategies}
        self.emergency = False
        """True while any breaker is in EMERGENCY (kept current after every transition)."""

    @property
    def manager(self) -> RiskManager:
        """The breakers, limits and equity watches, with every mark taken (see ``Marks``)."""
        self.marks.flush()
        return self._manager

    def admit(self, bar: AnyBar) -> MarketDataRefused | None:
        """None when the bar's guards admit it; else its recorded refusal."""
        self._absorbed = None
        refusal = self.guard(bar.symbol).admit(bar)
        return None if refusal is None else self.refused(bar, refusal)

    def on_bar(self, bar: AnyBar) -> list[Event]:
        """Mark the account and its strategies to this close; the breaker changes (a new list)."""
        if self.regime is not None and bar.symbol == self.regime_symbol:
            self._adapt(bar.close)
        changes = self.marks.take(bar)
        return [self._recorded(change, bar) for change in changes] if changes else []

    def on_refused(self, bar: AnyBar) -> list[Event]:
        """A refused close counted against the positions (the book holds it): a tier it reaches
        halts new exposure until a price confirms it; the breaker changes."""
        if not any(holding.quantity for holding in self.book.holdings):
            return []
        return [self._recorded(change, bar) for change in self.marks.probe(bar.ts_event)]

    def quiet_until(self, run: BarRun, start: int, stop: int) -> int:
        """The bars from ``start`` whose guards and marks the screen passes (``RunScreen``): each
        admitted without confirmation, each mark quiet or a new high on the watches' day, every
        breaker calm. None while volatility adapts the limits (every close moves the regime)."""
        guard = self.guards.get(run.symbol)
        if self.regime is not None or guard is None or not guard.settled:
            return start
        figures = self.marks.screenable()
        if figures is None:
            return start
        since, until, held = figures
        self._screened = held
        screen = self._screen(run)
        if not screen.usable or screen.ts[start] < since:
            return start
        if self._absorbed == (run, start):  # the guard's last close is the bar before's
            end = screen.passes_after(start, stop)
        else:
            end = screen.guard_passes(start, stop, *guard.band)
        end = screen.before(start, end, until)
        return screen.quiet_marks(start, end, held)

    def absorb(self, run: BarRun, start: int, stop: int) -> None:
        """The bars ``start:stop`` that ``quiet_until`` vouched for: guarded and marked in bulk."""
        if stop <= start:
            return
        self.guards[run.symbol].absorb(run, start, stop)
        self._absorbed = (run, stop)
        highest, held = None, self._screened
        if held is not None and held.quantity > 0:  # a new high would be taken on its own
            highest = self._screen(run).highest(start, stop, run.close, held.new_high_close)
        self.marks.absorb(run, highest, stop - 1)

    def _screen(self, run: BarRun) -> RunScreen:
        screen = self._last_screen
        limits = self.limits
        if (
            screen is None
            or screen.run is not run
            or screen.band != limits.max_price_jump_pct / 100
            or screen.max_age_ns != limits.max_data_age_ns
        ):
            screen = self._last_screen = RunScreen(
                run, limits.max_price_jump_pct / 100, limits.max_data_age_ns
            )
        return screen

    def change_limits(self, changed: LimitsChanged) -> list[OperatorCommandRefused]:
        """Put new limits in force (breakers and watches keep their state); refuse ones that
        contradict themselves or do not move the version forward."""
        try:
            limits = changed.limits.validated()
            if limits.version <= self.base_limits.version:
                raise InvalidLimits(
                    f"limits version {limits.version} is not newer than {self.base_limits.version}"
                )
        except InvalidLimits as error:
            return [self._refused("change_limits", "account", changed, str(error))]
        self.base_limits = limits
        self.regime = VolatilityRegime(limits.adaptive_window) if limits.adaptive_window else None
        self.scale = Decimal(1)
        self._use(limits)
        return []

    def guard(self, symbol: str) -> MarketGuard:
        """The market-data guards of ``symbol`` (made at its first bar); the engine asks them
        to admit each bar before anything else sees it."""
        guard = self.guards.get(symbol)
        if guard is None:
            guard = self.guards[symbol] = MarketGuard(self.limits)
        return guard

    def refused(self, bar: AnyBar, refusal: InvalidMarketData) -> MarketDataRefused:
        """The recorded refusal of a bar its guards did not admit."""
        self.refusal_count += 1
        return MarketDataRefused(
            originator_id=self.data_refusals,
            originator_version=self.refusal_count,
            symbol=bar.symbol,
            reason=refusal.reason,
            message=refusal.message,
            ts_event=bar.ts_event,
            cause=EventRef(bar.originator_id, bar.originator_version),
        )

    def on_command(self, command: OperatorCommand) -> list[BreakerChanged | OperatorCommandRefused]:
        """Apply an operator's halt, resume or flatten; a command that does not apply is refused."""
        refusal = None
        if command.scope != "account" and command.scope not in self.manager.strategies:
            refusal = f"unknown scope {command.scope!r}"
        else:
            why = f"{command.command} by {command.issued_by}: {command.reason}"
            try:
                change = self.manager.operator(command.command, command.scope, why, command.ts_event)
            except BreakerError as error:
                refusal = str(error)
        if refusal is not None:
            return [self._refused(command.command, command.scope, command, refusal)]
        return [self._recorded(ScopedTransition(command.scope, change), command)] if change else []

    def _adapt(self, close: Decimal) -> None:
        assert self.regime is not None
        self.regime.update(close)
        scale = self.regime.scale(self.base_limits)
        if scale != self.scale:
            self.scale = scale
            self._use(scaled(self.base_limits, scale))

    def _use(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.execution.use(limits)
        self.manager.watch_for(limits)
        for guard in self.guards.values():
            guard.use(limits)

    def _refused(
        self, command: str, scope: str, issued: OperatorCommand | LimitsChanged, reason: str
    ) -> OperatorCommandRefused:
        self.refusals += 1
        return OperatorCommandRefused(
            originator_id=self.refusal_stream,
            originator_version=self.refusals,
            command=command,
            scope=scope,
            issued_by=issued.issued_by,
            reason=reason,
            ts_event=issued.ts_event,
            cause=EventRef(issued.originator_id, issued.originator_version),
        )

    def must_flatten(self, strategy_id: str) -> bool:
        """True when the account or this strategy is in EMERGENCY."""
        return self._manager.state_for(strategy_id) == TradingState.EMERGENCY

    def take_changes(self) -> list[Event]:
        """Breaker changes made while checking orders (the engine records them before the verdict)."""
        changes: list[Event] = list(self.pending_changes)
        self.pending_changes = []
        return changes

    def check(self, holding: Holding, side: str, quantity: Decimal, price: Decimal, ts_ns: int) -> Verdict:
        """The limits' verdict on one order, with the equity and strategy exposure it used."""
        verdict, equity, exposure = self._verdict(holding, side, quantity, price, ts_ns)
        return Verdict(verdict.approved, verdict.reason, verdict.message, self.limits.label, equity, exposure)

    def _verdict(
        self, holding: Holding, side: str, quantity: Decimal, price: Decimal, ts_ns: int
    ) -> tuple[ManagerVerdict, Decimal, Decimal]:
        book, strategy_id = self.book, holding.strategy_id
        reduces = side == "sell" and holding.quantity > 0
        account_exposure = book.account_exposure()
        equity = book.equity()
        exposure = book.exposure(holding)
        stop_pct = self._stop_pct.get(strategy_id)
        verdict = self._manager.check(
            strategy_id=strategy_id,
            reduces=reduces,
            notional=quantity * price,
            risk_amount=quantity * price * stop_pct / 100 if stop_pct else None,
            equity=equity,
            strategy_exposure=exposure,
            account_exposure=account_exposure,
            ts_ns=ts_ns,
        )
        guard = self.guards.get(holding.symbol)
        if verdict.approved and not reduces and guard is not None and not guard.liquid(ts_ns):
            verdict = ManagerVerdict(
                False,
                "illiquid",
                f"{holding.symbol} traded {guard.traded_value(ts_ns):,.0f} USD over the last "
                f"{self.limits.liquidity_window_ns // 3_600_000_000_000} h, below the floor "
                f"{self.limits.min_liquidity_usd:,.0f} USD",
            )
        if verdict.approved and not reduces:
            allowed, change = self.execution.allows_new_exposure(ts_ns)
            if change is not None:
                self.pending_changes.append(self._execution_changed(change, ts_ns, None))
            if not allowed:
                verdict = ManagerVerdict(
                    False,
                    "execution_quality",
                    f"the execution-quality breaker of {self.venue} is {self.execution.state}: "
                    "no new exposure until it recovers",
                )
        if verdict.approved:
            self._manager.record_order(ts_ns)
        return verdict, equity, exposure

    def on_outcome(self, outcome: Outcome, ts_ns: int, cause: EventRef) -> list[BreakerChanged]:
        """An acknowledgement's latency, a fill's slippage or a venue error, for the execution breaker."""
        change = self.execution.observe(outcome, ts_ns)
        return [self._execution_changed(change, ts_ns, cause)] if change else []

    def _execution_changed(
        self, change: ExecutionChange, ts_ns: int, cause: EventRef | None
    ) -> BreakerChanged:
        measures = self.manager.measures()
        watch = self.manager.account_watch
        self.changes += 1
        return BreakerChanged(
            originator_id=self.stream,
            originator_version=self.changes,
            scope=f"execution:{self.venue}",
            before=change.before.value,
            after=change.after.value,
            reason=change.reason,
            drawdown_pct=measures.drawdown_pct,
            daily_loss_pct=measures.daily_loss_pct,
            equity=watch.last,
            high_water=watch.high_water,
            limits_version=self.limits.label,
            ts_event=ts_ns,
            cause=cause or EventRef(self.stream, self.changes - 1),
        )

    def _recorded(
        self, scoped: ScopedTransition, cause: AnyBar | SessionEnded | OperatorCommand
    ) -> BreakerChanged:
        scope, change = scoped
        watch = self.manager.account_watch if scope == "account" else self.manager.strategy_watches[scope]
        self.changes += 1
        self.emergency = self.manager.account.state == TradingState.EMERGENCY or any(
            breaker.state == TradingState.EMERGENCY for breaker in self.manager.strategies.values()
        )
        return BreakerChanged(
            originator_id=self.stream,
            originator_version=self.changes,
            scope=scope,
            before=change.before.name,
            after=change.after.name,
            reason=change.reason,
            drawdown_pct=change.measures.drawdown_pct,
            daily_loss_pct=change.measures.daily_loss_pct,
            equity=watch.last,
            high_water=watch.high_water,
            limits_version=self.limits.label,
            ts_event=cause.ts_event,
            cause=EventRef(cause.originator_id, cause.originator_version),
        )
