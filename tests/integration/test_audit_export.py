"""Auditor exports on SQLite and PostgreSQL: filtered selection, three formats, and the
stand-alone verifier (tools/verify_export.py) passing untouched exports and catching
every tampering: with the file, with the file and its manifest, with a recomputed chain,
and with the store itself before the export.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from application.audit.checkpoints import sign_checkpoint
from application.audit.export import AuditExport, ExportFilter
from domain.audit.chain import link
from domain.events import CheckpointSigned, Event
from infrastructure.audit.export_files import (
    ExportFormat,
    build_manifest,
    file_sha256,
    manifest_path,
    write_manifest,
    write_rows,
)
from infrastructure.audit.signing import FileSigner
from infrastructure.bootstrap import migrate, open_ledger
from infrastructure.config import Settings
from infrastructure.store.codec import EventCodec
from tests.conftest import settings_for
from tests.engine_helpers import bar_rows, run
from tests.factories import bars
from tests.integration.test_audit_chain import TAMPERING, chained_store, tamper_postgres, tamper_sqlite
from tests.integration.test_backtest_by_hand import series
from tests.verifier import verifier

STORES = ["sqlite", "postgres"]
FORMATS: list[ExportFormat] = ["jsonl", "csv", "parquet"]
STRATEGY = "sma_cross:TEST/USD"


def history(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Settings, CheckpointSigned]:
    """Market data before any session, a backtest session, a checkpoint, then unchained bars."""
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        store.log.append(bars(5))
        run(store.log, bar_rows(series()))
        signed = sign_checkpoint(
            store.log,
            store.log,  # type: ignore[arg-type]
            FileSigner(tmp_path / "key.pem"),
            "2026-11-24T00:00:00Z",
        )
    with open_ledger(settings, chained=False) as store:
        store.log.append(bars(2, start_version=6))
    return settings, signed


def export(
    settings: Settings, path: Path, fmt: ExportFormat = "jsonl", wanted: ExportFilter | None = None
) -> dict[str, Any]:
    wanted = wanted or ExportFilter()
    with open_ledger(settings) as store:
        selection = AuditExport(store.log, EventCodec(), wanted)  # type: ignore[arg-type]
        write_rows(selection.rows(), path, fmt)
    document = build_manifest(path, fmt, wanted, selection.scope, {})
    write_manifest(path, document)
    return document


def chained_events(settings: Settings) -> list[tuple[int, Event]]:
    with open_ledger(settings) as store:
        head_id, _ = store.log.chain_head()  # type: ignore[attr-defined]
        return [
            (r.notification_id, r.event) for p in store.log.read() for r in p if r.notification_id <= head_id
        ]


def failures(path: Path, **pinned: Any) -> list[str]:
    manifest = json.loads(manifest_path(path).read_text())
    result: list[str] = verifier().verify(path, manifest, **pinned).failures
    return result


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", STORES)
def test_a_complete_export_verifies_from_the_first_event_to_the_signed_head(
    kind: str, fmt: ExportFormat, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, signed = history(kind, tmp_path, request)
    path = tmp_path / f"all.{fmt}"
    manifest = export(settings, path, fmt)
    chained = chained_events(settings)
    assert manifest["rows"] == len(chained) and manifest["complete"]
    assert manifest["last_notification_id"] == chained[-1][0] == manifest["chain_head"]["notification_id"]
    assert manifest["checkpoint"]["head_id"] == signed.head_id < chained[-1][0]
    assert manifest["sha256"] == file_sha256(path)
    outcome = verifier().verify(path, manifest, signed.public_key)
    assert outcome.failures == []
    assert any(f"up to notification id {signed.head_id}" in n and "first event" in n for n in outcome.notes)
    assert outcome.after_head == 1  # the checkpoint's own record, chained after the head it signs


@pytest.mark.parametrize("kind", STORES)
def test_filters_select_by_symbol_strategy_account_time_and_topic(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, _ = history(kind, tmp_path, request)
    chained = chained_events(settings)
    session_start = next(n for n, e in chained if e.TOPIC == "engine.Session.Started")
    stamps = sorted({e.ts_event for _, e in chained if e.TOPIC == "market.Bar" and e.symbol == "TEST/USD"})  # type: ignore[attr-defined]
    start, end = stamps[6], stamps[11]  # the entry's bar and the exit's

    def selected(**wanted: Any) -> list[dict[str, Any]]:
        path = tmp_path / "part.jsonl"
        manifest = export(settings, path, "jsonl", ExportFilter(**wanted))
        assert not manifest["complete"] and failures(path) == []
        return [json.loads(line) for line in path.read_text().splitlines()]

    btc = selected(symbol="BTC/USD")
    assert [r["notification_id"] for r in btc] == [n for n, _ in chained[:5]]
    assert all(r["contiguous"] for r in btc)  # the first five events of the log, nothing left out
    account = selected(account="backtest")
    assert [r["notification_id"] for r in account] == [n for n, _ in chained if n >= session_start]
    assert not account[0]["contiguous"]  # the market data before the session was left out
    strategy = selected(strategy=STRATEGY)
    topics = {r["topic"] for r in strategy}
    assert {"strategy.Signal.Generated", "oms.Order.Submitted", "venue.Order.Filled"} <= topics
    assert "market.Bar" not in topics and all(r["strategy"] == STRATEGY for r in strategy)
    timed = selected(from_ns=start, to_ns=end)
    expected = [
        n for n, e in chained if (ts := getattr(e, "ts_event", None)) is not None and start <= ts < end
    ]
    assert [r["notification_id"] for r in timed] == expected
    assert {"market.Bar", "oms.Order.Submitted", "venue.Order.Filled"} <= {r["topic"] for r in timed}
    orders = selected(topics=("oms.*",), symbol="TEST/USD")
    assert orders and {r["topic"].split(".")[0] for r in orders} == {"oms"}
    assert selected(account="someone else") == []


def _rewrite(path: Path, fmt: ExportFormat, edit: Callable[[list[dict[str, Any]]], object]) -> None:
    """Change the rows of an export as a forger would, writing the format back as it was."""
    records = list(verifier().read_records(path, fmt))
    edit(records)
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif fmt == "csv":
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    else:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        schema = pq.read_schema(path)
        pq.write_table(pa.Table.from_pylist(records, schema=schema), path)


def _state(record: dict[str, Any]) -> bytes:
    value = record["state"]
    return value if isinstance(value, bytes) else base64.b64decode(value)


def _set_state(record: dict[str, Any], state: bytes) -> None:
    record["state"] = state if isinstance(record["state"], bytes) else base64.b64encode(state).decode()


def _change_a_close(record: dict[str, Any]) -> None:
    """A bar's close price, changed in its stored bytes and in its readable fields alike."""
    state = _state(record)
    assert b"\xa5close" in state
    at = state.index(b"\xa5close") + 7  # the fixstr header of the value, then its first digit
    _set_state(record, state[:at] + (b"7" if state[at : at + 1] != b"7" else b"8") + state[at + 1 :])
    fields = msgspec.msgpack.decode(_state(record))
    event = record["event"] if isinstance(record["event"], dict) else json.loads(record["event"])
    event["close"] = fields["close"]
    record["event"] = event if isinstance(record["event"], dict) else json.dumps(event)


def _update_manifest(path: Path) -> None:
    document = json.loads(manifest_path(path).read_text())
    document["sha256"] = file_sha256(path)
    manifest_path(path).write_text(json.dumps(document))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", STORES)
def test_a_modified_row_is_caught_even_with_a_rewritten_manifest(
    kind: str, fmt: ExportFormat, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, _ = history(kind, tmp_path, request)
    path = tmp_path / f"all.{fmt}"
    export(settings, path, fmt)
    bar = next(i for i, r in enumerate(verifier().read_records(path, fmt)) if r["topic"] == "market.Bar")
    _rewrite(path, fmt, lambda records: _change_a_close(records[bar + 2]))
    caught = failures(path)
    assert "the file's SHA-256 is not the manifest's: the file was changed after export" in caught
    _update_manifest(path)
    caught = failures(path)
    assert len(caught) == 1 and caught[0].endswith("its content does not hash to its chain link (modified)")


def _relink(records: list[dict[str, Any]], start: int) -> None:
    """Recompute every link from ``start`` on, as a forger who changed that row would."""
    previous = bytes.fromhex(records[start]["chain_prev"])
    for record in records[start:]:
        record["chain_prev"] = previous.hex()
        previous = link(
            previous,
            record["notification_id"],
            bytes.fromhex(record["originator_id"].replace("-", "")),
            record["originator_version"],
            record["topic"],
            _state(record),
        )
        record["chain_hash"] = previous.hex()


@pytest.mark.parametrize("kind", STORES)
def test_a_forged_export_cut_short_of_the_anchors_head_fails_against_the_anchor(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, signed = history(kind, tmp_path, request)
    path = tmp_path / "all.jsonl"
    export(settings, path)
    anchor = json.loads(msgspec.json.encode(signed))  # what `audit checkpoint --export` writes

    def forge(records: list[dict[str, Any]]) -> None:
        del records[[r["notification_id"] for r in records].index(signed.head_id) :]
        _change_a_close(records[3])
        _relink(records, 3)

    _rewrite(path, "jsonl", forge)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    document = json.loads(manifest_path(path).read_text())
    document.update(checkpoint=None, rows=len(rows), last_notification_id=rows[-1]["notification_id"])
    document["chain_head"] = {"notification_id": rows[-1]["notification_id"], "hash": rows[-1]["chain_hash"]}
    manifest_path(path).write_text(json.dumps(document))
    _update_manifest(path)
    assert failures(path) == []  # consistent with itself: only a signature can tell
    caught = failures(path, anchor=anchor)
    assert any(f.startswith("no row is tied to a head signed by the key you trust") for f in caught)
    assert any(f"the anchor signed head {signed.head_id}, past the end" in f for f in caught)
    assert failures(path, key=signed.public_key) != []


@pytest.mark.parametrize("kind", STORES)
def test_a_forger_who_recomputes_every_later_link_is_caught_at_the_signed_head(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, signed = history(kind, tmp_path, request)
    path = tmp_path / "all.jsonl"
    export(settings, path)

    def forge(records: list[dict[str, Any]]) -> None:
        _change_a_close(records[3])
        _relink(records, 3)

    _rewrite(path, "jsonl", forge)
    document = json.loads(manifest_path(path).read_text())
    document["chain_head"]["hash"] = json.loads(path.read_text().splitlines()[-1])["chain_hash"]
    manifest_path(path).write_text(json.dumps(document))
    _update_manifest(path)
    assert failures(path) == [
        f"notification id {signed.head_id}: its chain hash is not the one the checkpoint signed"
    ]


@pytest.mark.parametrize("kind", STORES)
def test_a_row_left_out_of_a_complete_export_is_a_gap(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, _ = history(kind, tmp_path, request)
    path = tmp_path / "all.csv"
    export(settings, path, "csv")
    removed = list(verifier().read_records(path, "csv"))[4]["notification_id"]
    _rewrite(path, "csv", lambda records: records.pop(4))
    caught = failures(path)
    assert any("chain_prev is not the previous row's chain_hash" in f for f in caught)
    assert f"the file holds {len(list(verifier().read_records(path, 'csv')))} rows" in " ".join(caught)
    assert removed not in {r["notification_id"] for r in verifier().read_records(path, "csv")}


def test_a_key_other_than_the_trusted_one_fails(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings, signed = history("sqlite", tmp_path, request)
    path = tmp_path / "all.jsonl"
    export(settings, path)
    assert failures(path, key=bytes(32)) == [
        f"the checkpoint is signed by {signed.public_key.hex()}, not the key you trust",
        "no valid checkpoint signed by the key you trust",
    ]
    anchor = json.loads(msgspec.json.encode(signed))
    assert failures(path, anchor=anchor) == []
    anchor["head_hash"] = base64.b64encode(bytes(32)).decode()
    assert (
        failures(path, anchor=anchor)[0]
        == f"the anchor's signature is not valid for its head {signed.head_id}"
    )


EXPECTED_AT = {"modified": 7, "deleted": 8, "inserted": 0, "reordered": 7}


@pytest.mark.parametrize("how", ["modified", "deleted", "inserted", "reordered"])
@pytest.mark.parametrize("kind", STORES)
def test_a_store_tampered_before_the_export_fails_verification(
    kind: str, how: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = chained_store(kind, request, tmp_path)
    (tamper_sqlite if kind == "sqlite" else tamper_postgres)(settings, TAMPERING[kind][how])
    path = tmp_path / "all.jsonl"
    export(settings, path)
    caught = failures(path)
    assert caught and all(f.startswith("notification id ") for f in caught)
    assert caught[0].startswith(f"notification id {EXPECTED_AT[how]}:"), caught


def test_emptying_a_complete_export_or_calling_it_filtered_does_not_pass(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings, _ = history("sqlite", tmp_path, request)
    path = tmp_path / "all.jsonl"
    export(settings, path)
    document = json.loads(manifest_path(path).read_text())
    manifest_path(path).write_text(json.dumps({**document, "complete": False}))
    assert failures(path) == ["the manifest calls the export filtered but names no filter"]
    path.write_text("")
    manifest_path(path).write_text(json.dumps({**document, "rows": 0, "sha256": file_sha256(path)}))
    head = document["chain_head"]["notification_id"]
    assert failures(path) == [f"the complete export does not end at the chain head {head}"]
