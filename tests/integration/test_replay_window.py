"""The decision-replay audit of a window, against the hand-worked scenario run twice over.

Cash 200, size 10, the full risk engine (caps loosened), the hand-worked closes twice
(bars one minute apart from t = 0 s): the buy is decided at 360 s and filled at 420 s's
open; 480 s takes the account to WARNING, 540 s to EMERGENCY (and the strategy HALTED),
which flattens the position (filled at 600 s); the buy signals at 720 s and 1080 s are
denied (halted).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from application.audit.replay_window import InvalidWindow, WindowResult, replay_window
from application.engine.replay import verify
from domain.events import BreakerChanged, Event, OrderDenied
from infrastructure.bootstrap import migrate, open_ledger
from infrastructure.config import Settings
from infrastructure.store.codec import EventCodec
from tests.conftest import settings_for
from tests.engine_helpers import bar_rows, config, run
from tests.integration.test_audit_chain import tamper_postgres, tamper_sqlite
from tests.integration.test_backtest_by_hand import series
from tests.integration.test_state_at import LIMITS

T0 = 1_700_000_000 * 10**9
S = 10**9


def recorded_run(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    cfg = config(params=(("fast", "2"), ("size", "10"), ("slow", "3")), cash=Decimal(200), limits=LIMITS)
    with open_ledger(settings) as store:
        run(store.log, bar_rows(series() * 2), cfg)
    return settings


def window(settings: Settings, start_s: int, end_s: int) -> WindowResult:
    with open_ledger(settings) as store:
        return replay_window(store.log, EventCodec(), T0 + start_s * S, T0 + end_s * S, page_size=7)


def events(settings: Settings) -> list[tuple[int, Event]]:
    with open_ledger(settings) as store:
        return [(r.notification_id, r.event) for page in store.log.read() for r in page]


def id_of(settings: Settings, wanted: Callable[[Event], bool]) -> int:
    return next(n for n, e in events(settings) if wanted(e))


def at(seconds: int) -> Callable[[Event], bool]:
    return lambda e: type(e).__name__ == "Bar" and getattr(e, "ts_event", None) == T0 + seconds * S


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_honest_log_passes_for_every_window(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = recorded_run(kind, request, tmp_path)
    with open_ledger(settings) as store:
        whole = verify(store.log, EventCodec())
    everything = window(settings, -60, 2000)
    assert everything.identical and everything.state_inputs == 1  # the session's configuration only
    assert everything.recorded_digest == whole.recorded_digest
    assert everything.decisions == whole.decisions == 13

    # starts mid-position (bought at 420 s), holds the WARNING, the EMERGENCY and the flattening
    mid = window(settings, 480, 660)
    assert mid.identical
    assert mid.state_upto == id_of(settings, at(420))
    assert mid.state_inputs == 11  # session, 7 bars, the buy's acknowledgement and fill, the 420 s bar
    assert (mid.inputs, mid.decisions) == (6, 6)  # 4 bars + the flatten's ack and fill; 3 breaker changes,
    assert mid.first_id == id_of(settings, at(480))  # signal, approval, submission
    assert mid.last_id == id_of(settings, at(660))

    denied = window(settings, 700, 1100)
    assert denied.identical and denied.decisions == 4  # two signals, two denials
    assert denied.recorded_digest != mid.recorded_digest


def tamper(kind: str, settings: Settings, notification_id: int, changed: Event) -> None:
    state = EventCodec().encode(changed).hex()
    if kind == "sqlite":
        tamper_sqlite(
            settings, [f"UPDATE stored_events SET state = x'{state}' WHERE rowid = {notification_id}"]
        )
    else:
        tamper_postgres(
            settings,
            [f"UPDATE ledger_events SET state = '\\x{state}' WHERE notification_id = {notification_id}"],
        )


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_tampered_decision_in_the_window_is_named(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = recorded_run(kind, request, tmp_path)
    emergency_id, emergency = next(
        (n, e) for n, e in events(settings) if isinstance(e, BreakerChanged) and e.after == "EMERGENCY"
    )
    assert isinstance(emergency, BreakerChanged)
    tamper(kind, settings, emergency_id, msgspec.structs.replace(emergency, after="HALTED"))

    caught = window(settings, 480, 660)
    assert not caught.identical and caught.divergence is not None
    assert caught.divergence.notification_id == emergency_id
    assert caught.divergence.topic == "risk.Breaker.Changed"
    assert caught.divergence.decision_index == 2  # after the WARNING
    assert "after='HALTED'" in caught.divergence.recorded
    assert "after='EMERGENCY'" in caught.divergence.replayed


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_tampered_decision_outside_the_window_is_not_reported(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = recorded_run(kind, request, tmp_path)
    denial_id, denial = next((n, e) for n, e in events(settings) if isinstance(e, OrderDenied))
    assert isinstance(denial, OrderDenied)
    tamper(kind, settings, denial_id, msgspec.structs.replace(denial, reason="illiquid"))

    with open_ledger(settings) as store:
        whole = verify(store.log, EventCodec())
    assert whole.divergence is not None and whole.divergence.notification_id == denial_id  # it is there
    before, after = window(settings, 480, 660), window(settings, 780, 2000)
    assert before.identical and after.identical
    assert after.decisions == 2  # the other denial and its signal
    inside = window(settings, 700, 800)
    assert inside.divergence is not None and inside.divergence.notification_id == denial_id


def test_an_empty_or_inverted_window(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings = recorded_run("sqlite", request, tmp_path)
    empty = window(settings, 5000, 6000)
    assert empty.first_id is None and empty.inputs == 0 and empty.identical
    assert empty.state_inputs == len([e for _, e in events(settings) if type(e).IS_INPUT])
    with pytest.raises(InvalidWindow):
        window(settings, 600, 500)
