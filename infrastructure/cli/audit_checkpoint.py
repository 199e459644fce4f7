"""``memesnipe audit checkpoint``: sign the chain's head now, when due, or periodically (``--watch``).

On demand (no interval given) it signs at once. With ``--every-events`` / ``--every-seconds``
(or the settings' ``MEMESNIPE_CHECKPOINT_EVERY_*`` with ``--watch``) it signs only when a
checkpoint is due, once (for cron) or, with ``--watch``, round after round, chaining what
other processes append to the store, until Ctrl-C or ``--rounds``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from application.audit.checkpoints import sign_checkpoint
from application.audit.periodic import CheckpointPolicy, PeriodicCheckpoints
from domain.events import CheckpointSigned
from infrastructure.audit.periodic import LazySigner, wall_clock
from infrastructure.audit.signing import FileSigner, key_path
from infrastructure.bootstrap import open_ledger
from infrastructure.cli.audit_common import trail_of
from infrastructure.cli.context import LogOption, chosen_settings, console, reports_errors, settings_of
from infrastructure.config import Settings
from infrastructure.errors import ConfigError

ExportOption = Annotated[Path | None, typer.Option(help="Also write it here: an anchor to keep elsewhere.")]


@reports_errors
def checkpoint(
    ctx: typer.Context,
    log: LogOption = None,
    export: ExportOption = None,
    every_events: Annotated[
        int | None, typer.Option(min=0, help="Sign once this many events were appended since the last.")
    ] = None,
    every_seconds: Annotated[
        float | None, typer.Option(min=0, help="... or once this many seconds passed since it.")
    ] = None,
    watch: Annotated[bool, typer.Option(help="Keep signing when due, until Ctrl-C.")] = False,
    rounds: Annotated[int | None, typer.Option(min=1, help="Stop after this many rounds.")] = None,
    poll_seconds: Annotated[float, typer.Option(min=0, help="Seconds between rounds.")] = 1.0,
) -> None:
    """Sign the chain's head (Ed25519) and record the checkpoint in the log: now, or when due."""
    settings = chosen_settings(ctx, log)
    if export is not None:
        _check_writable(export)  # before anything is signed and recorded for good
    periodic = watch or rounds is not None or every_events is not None or every_seconds is not None
    if not periodic:
        _sign_now(settings, settings_of(ctx), export)
        return
    own = settings_of(ctx)
    policy = CheckpointPolicy(
        own.checkpoint_every_events if every_events is None else every_events,
        own.checkpoint_every_seconds if every_seconds is None else every_seconds,
    )
    if not policy.enabled:
        raise ConfigError("give --every-events or --every-seconds above 0 (or MEMESNIPE_CHECKPOINT_EVERY_*)")
    _periodically(settings, own, policy, export, rounds or (None if watch else 1), poll_seconds)


def _sign_now(settings: Settings, own: Settings, export: Path | None) -> None:
    signer = FileSigner(key_path(own.data_dir))
    with open_ledger(settings) as store:
        trail = trail_of(store.log, settings.describe_store())
        signed = sign_checkpoint(store.log, trail, signer, wall_clock().isoformat())
    _report(signed, export)
    console.print(f"public key {signed.public_key.hex()}", highlight=False)


def _periodically(
    settings: Settings,
    own: Settings,
    policy: CheckpointPolicy,
    export: Path | None,
    rounds: int | None,
    poll_seconds: float,
) -> None:
    done = 0
    with open_ledger(settings) as store:
        trail = trail_of(store.log, settings.describe_store())
        checkpoints = PeriodicCheckpoints(store.log, trail, LazySigner(own), policy, wall_clock())
        console.print(
            f"checkpoints of {settings.describe_store()}: every {_every(policy)}"
            + (", until Ctrl-C" if rounds is None else ""),
            highlight=False,
            soft_wrap=True,
        )
        try:
            while rounds is None or done < rounds:
                if done:
                    time.sleep(poll_seconds)
                signed = checkpoints.poll(wall_clock())
                done += 1
                if signed is not None:
                    _report(signed, export)
                elif rounds == 1:
                    events, seconds = checkpoints.events_since, checkpoints.seconds_since(wall_clock())
                    console.print(
                        f"not due: {events:,} events and {seconds:,.0f} s since the last checkpoint",
                        highlight=False,
                    )
        except KeyboardInterrupt:
            console.print("stopped (Ctrl-C)")
    console.print(
        f"checkpoints signed: {len(checkpoints.signed):,} in {done:,} rounds",
        highlight=False,
    )


def _every(policy: CheckpointPolicy) -> str:
    events = f"{policy.every_events:,} events" if policy.every_events else ""
    seconds = f"{policy.every_seconds:g} s" if policy.every_seconds else ""
    return " or ".join(part for part in (events, seconds) if part)


def _check_writable(export: Path) -> None:
    """A ConfigError unless an anchor can be written at ``export``."""
    folder = export.parent
    if export.is_dir():
        raise ConfigError(f"--export {export} is a folder; give a file name")
    if not folder.is_dir():
        raise ConfigError(f"--export {export}: the folder {folder} does not exist")
    if not os.access(export if export.exists() else folder, os.W_OK):
        raise ConfigError(f"--export {export} is not writable")


def _report(signed: CheckpointSigned, export: Path | None) -> None:
    console.print(
        f"signed the chain head at notification id {signed.head_id:,}: {signed.head_hash.hex()}",
        highlight=False,
        soft_wrap=True,
    )
    if export is not None:
        try:
            export.write_bytes(msgspec.json.encode(signed))
        except OSError as e:
            raise ConfigError(
                f"the checkpoint is signed and recorded at {signed.head_id:,}, but its anchor could not be "
                f"written to {export}: {e.strerror or e}"
            ) from None
        console.print(f"anchor written to {export}", highlight=False)
