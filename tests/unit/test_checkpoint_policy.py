"""When a periodic checkpoint is due: every N events or T seconds, whichever first, never for nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.audit.periodic import CheckpointPolicy, InvalidCheckpointPolicy
from infrastructure.config import load_settings
from infrastructure.errors import ConfigError

NO_FILE = {"XDG_CONFIG_HOME": "/nonexistent", "HOME": "/nonexistent"}


def test_every_n_events_is_due_at_the_nth_not_before() -> None:
    policy = CheckpointPolicy(every_events=100)
    assert not policy.due(99, 0.0)
    assert policy.due(100, 0.0) and policy.due(250, 0.0)


def test_every_t_seconds_is_due_once_t_has_passed_and_something_was_appended() -> None:
    policy = CheckpointPolicy(every_seconds=60)
    assert not policy.due(1, 59.9)
    assert policy.due(1, 60.0)
    assert not policy.due(0, 10_000.0)  # nothing new: the head is already signed


def test_whichever_comes_first() -> None:
    policy = CheckpointPolicy(every_events=1_000, every_seconds=3_600)
    assert policy.due(1_000, 1.0)  # events first
    assert policy.due(3, 3_600.0)  # time first
    assert not policy.due(999, 3_599.0)


def test_zero_turns_a_trigger_off() -> None:
    off = CheckpointPolicy()
    assert not off.enabled and not off.due(10**9, 10**9)
    only_time = CheckpointPolicy(every_events=0, every_seconds=5)
    assert only_time.enabled and not only_time.due(10**9, 4.0)


@pytest.mark.parametrize(("events", "seconds"), [(-1, 0.0), (0, -0.5), (0, float("nan"))])
def test_a_negative_or_meaningless_interval_is_refused(events: int, seconds: float) -> None:
    with pytest.raises(InvalidCheckpointPolicy):
        CheckpointPolicy(every_events=events, every_seconds=seconds)


def test_settings_default_and_environment() -> None:
    default = load_settings(NO_FILE)
    assert (default.checkpoint_every_events, default.checkpoint_every_seconds) == (100_000, 3_600.0)
    chosen = load_settings(
        {
            **NO_FILE,
            "MEMESNIPE_CHECKPOINT_EVERY_EVENTS": "5000",
            "MEMESNIPE_CHECKPOINT_EVERY_SECONDS": "0.5",
        }
    )
    assert (chosen.checkpoint_every_events, chosen.checkpoint_every_seconds) == (5_000, 0.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEMESNIPE_CHECKPOINT_EVERY_EVENTS", "ten"),
        ("MEMESNIPE_CHECKPOINT_EVERY_EVENTS", "-3"),
        ("MEMESNIPE_CHECKPOINT_EVERY_EVENTS", "2.5"),
        ("MEMESNIPE_CHECKPOINT_EVERY_SECONDS", "soon"),
        ("MEMESNIPE_CHECKPOINT_EVERY_SECONDS", "inf"),
        ("MEMESNIPE_CHECKPOINT_EVERY_SECONDS", "-1"),
    ],
)
def test_a_bad_interval_in_the_environment_is_named_with_its_value(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name} must be .* got '{value}'"):
        load_settings({**NO_FILE, name: value})


def test_a_bad_interval_in_the_config_file_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("checkpoint_every_events = 12.5\n")
    with pytest.raises(ConfigError, match=r"checkpoint_every_events must be a whole number .* got 12.5"):
        load_settings(NO_FILE, config_file=config)
    config.write_text("checkpoint_every_seconds = 90\n")
    assert load_settings(NO_FILE, config_file=config).checkpoint_every_seconds == 90.0
