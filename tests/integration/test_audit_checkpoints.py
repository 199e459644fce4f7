"""Signed checkpoints: a rewritten history with a consistently recomputed chain still fails the anchor."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from application.audit.checkpoints import sign_checkpoint, verify_against_anchor
from application.audit.verify_chain import verify_chain
from domain.events import CheckpointSigned
from infrastructure.audit.signing import FileSigner, signature_valid
from infrastructure.bootstrap import open_ledger
from infrastructure.config import Settings
from tests.conftest import settings_for
from tests.factories import bars


def anchored_store(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Settings, CheckpointSigned]:
    settings = settings_for("sqlite", tmp_path, request)
    with open_ledger(settings) as store:
        store.log.append(bars(20))
        signed = sign_checkpoint(
            store.log, store.log, FileSigner(tmp_path / "key.pem"), "2026-11-24T00:00:00Z"
        )  # type: ignore[arg-type]
    return settings, signed


def test_an_anchor_verifies_and_its_checkpoint_is_in_the_chained_log(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, signed = anchored_store(tmp_path, request)
    assert signed.head_id == 20
    with open_ledger(settings) as store:
        report, problems = verify_against_anchor(store.log, signed, signature_valid)  # type: ignore[arg-type]
        recorded = [r.event for page in store.log.read() for r in page][-1]
    assert report.intact and problems == [] and report.head_id == 21
    assert recorded == signed
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600


def test_a_rewritten_history_with_a_recomputed_chain_fails_the_anchor(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, signed = anchored_store(tmp_path, request)
    conn = sqlite3.connect(settings.sqlite_path)
    for trigger in ("stored_events_refuse_update", "stored_chain_blocks_refuse_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("UPDATE stored_events SET state = x'80' WHERE rowid = 5")
    conn.execute("DELETE FROM stored_chain_blocks")  # then recompute it, consistently
    conn.commit()
    conn.close()
    with open_ledger(settings) as store:
        store.log.extend_chain()  # type: ignore[attr-defined]
        assert verify_chain(store.log).intact  # type: ignore[arg-type]  # the chain alone is fooled
        _report, problems = verify_against_anchor(store.log, signed, signature_valid)  # type: ignore[arg-type]
    assert problems == [
        "the chain at notification id 20 differs from the anchor: the history up to it was rewritten "
        "(the chain was recomputed to hide it)"
    ]


def test_a_forged_anchor_fails_its_signature(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings, signed = anchored_store(tmp_path, request)
    forged = msgspec.structs.replace(signed, head_hash=bytes(32))
    with open_ledger(settings) as store:
        _report, problems = verify_against_anchor(store.log, forged, signature_valid)  # type: ignore[arg-type]
    assert "the anchor's signature is not valid for its head" in problems
