"""Writing an audit export: the rows as JSON Lines, CSV or Parquet, and the manifest beside them.

The three formats carry the same columns (``COLUMNS``), so one procedure checks any of
them: ``state`` (the exact stored bytes) is base64 text in JSON Lines and CSV and raw
bytes in Parquet; ``chain_prev`` and ``chain_hash`` are hex; ``event`` holds the decoded
fields for reading (a JSON object in JSON Lines, JSON text in CSV and Parquet).

The manifest is a sidecar, ``<file>.manifest.json``, rather than a header or trailer
record: it can hold the SHA-256 of the whole export file (a record inside the file
cannot hash itself), it is the same for all three formats, and it keeps the CSV a plain
table that spreadsheet tools open as it is. It is not signed; what makes an export
trustworthy is the chain checked row by row up to the head the checkpoint signs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec

from application.audit.export import ExportFilter, ExportRow, ExportScope
from domain.market.values import format_timestamp

ExportFormat = Literal["jsonl", "csv", "parquet"]
FORMAT_NAME = "memesnipe-audit-export/1"
COLUMNS = (
    "notification_id",
    "originator_id",
    "originator_version",
    "topic",
    "ts_event",
    "time",
    "account",
    "strategy",
    "symbol",
    "state",
    "event",
    "chain_prev",
    "chain_hash",
    "contiguous",
)
PARQUET_BATCH = 20_000
_json = msgspec.json.Encoder(decimal_format="string")


def manifest_path(path: Path) -> Path:
    """Where the manifest of the export at ``path`` is written."""
    return path.with_name(path.name + ".manifest.json")


def write_rows(rows: Iterable[ExportRow], path: Path, file_format: ExportFormat) -> None:
    """Write every row to ``path`` in ``file_format`` (the file is replaced)."""
    if file_format == "jsonl":
        with path.open("wb") as out:
            for row in rows:
                out.write(_json.encode(_jsonl_record(row)) + b"\n")
    elif file_format == "csv":
        with path.open("w", newline="", encoding="utf-8") as text:
            writer = csv.writer(text)
            writer.writerow(COLUMNS)
            writer.writerows(_csv_record(row) for row in rows)
    else:
        _write_parquet(rows, path)


def _common(row: ExportRow) -> dict[str, Any]:
    return {
        "notification_id": row.notification_id,
        "originator_id": str(row.originator_id),
        "originator_version": row.originator_version,
        "topic": row.topic,
        "ts_event": row.ts_event,
        "time": format_timestamp(row.ts_event) if row.ts_event is not None else "",
        "account": row.account,
        "strategy": row.strategy,
        "symbol": row.symbol,
    }


def _links(row: ExportRow) -> dict[str, Any]:
    return {
        "chain_prev": row.chain_prev.hex(),
        "chain_hash": row.chain_hash.hex() if row.chain_hash is not None else "",
        "contiguous": row.contiguous,
    }


def _jsonl_record(row: ExportRow) -> dict[str, Any]:
    return {
        **_common(row),
        "state": base64.b64encode(row.state).decode("ascii"),
        "event": row.event,
        **_links(row),
    }


def _event_text(row: ExportRow) -> str | None:
    return _json.encode(row.event).decode() if row.event is not None else None


def _csv_record(row: ExportRow) -> list[object]:
    record = {
        **_common(row),
        "state": base64.b64encode(row.state).decode("ascii"),
        "event": _event_text(row) or "",
        **_links(row),
    }
    record["ts_event"] = "" if row.ts_event is None else row.ts_event
    record["contiguous"] = "true" if row.contiguous else "false"
    return [record[column] for column in COLUMNS]


def _write_parquet(rows: Iterable[ExportRow], path: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]  # only this format needs it (slow to import)
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    schema = pa.schema(
        [
            ("notification_id", pa.int64()),
            ("originator_id", pa.string()),
            ("originator_version", pa.int64()),
            ("topic", pa.string()),
            ("ts_event", pa.int64()),
            ("time", pa.string()),
            ("account", pa.string()),
            ("strategy", pa.string()),
            ("symbol", pa.string()),
            ("state", pa.binary()),
            ("event", pa.string()),
            ("chain_prev", pa.string()),
            ("chain_hash", pa.string()),
            ("contiguous", pa.bool_()),
        ]
    )
    with pq.ParquetWriter(str(path), schema) as writer:
        for batch in _batches(rows):
            records = [{**_common(r), "state": r.state, "event": _event_text(r), **_links(r)} for r in batch]
            writer.write_table(pa.Table.from_pylist(records, schema=schema))


def _batches(rows: Iterable[ExportRow]) -> Iterator[list[ExportRow]]:
    batch: list[ExportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= PARQUET_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(
    path: Path,
    file_format: ExportFormat,
    wanted: ExportFilter,
    scope: ExportScope,
    provenance: dict[str, Any],
) -> dict[str, Any]:
    """The manifest of a written export; ``provenance`` adds where and when it was taken."""
    signed = scope.checkpoint
    checkpoint = None
    if signed is not None:
        c = signed.checkpoint
        checkpoint = {
            "notification_id": signed.notification_id,
            "head_id": c.head_id,
            "head_hash": c.head_hash.hex(),
            "signature": c.signature.hex(),
            "public_key": c.public_key.hex(),
            "signed_at": c.signed_at,
            "signed_message": "b'memesnipe-checkpoint-v1' || head_id (8 bytes, big-endian, signed) "
            "|| head_hash (32 bytes)",
        }
    return {
        "format": FORMAT_NAME,
        "file": path.name,
        "file_format": file_format,
        "sha256": file_sha256(path),
        "rows": scope.rows,
        "columns": list(COLUMNS),
        "filter": _filter_document(wanted),
        "complete": wanted.is_empty,
        "first_notification_id": scope.first_id,
        "last_notification_id": scope.last_id,
        "undecodable_rows": scope.undecodable,
        "chain_head": {"notification_id": scope.head_id, "hash": scope.head_hash.hex()},
        "checkpoint": checkpoint,
        "chain": "chain_hash = SHA-256(chain_prev || notification_id (8 bytes) || originator_id (16) || "
        "originator_version (8) || topic length (2) || topic || state length (4) || state), "
        "big-endian, from 32 zero bytes",
        **provenance,
    }


def _filter_document(wanted: ExportFilter) -> dict[str, Any]:
    return {
        "from": format_timestamp(wanted.from_ns) if wanted.from_ns is not None else None,
        "to": format_timestamp(wanted.to_ns) if wanted.to_ns is not None else None,
        "from_ns": wanted.from_ns,
        "to_ns": wanted.to_ns,
        "account": wanted.account,
        "strategy": wanted.strategy,
        "symbol": wanted.symbol,
        "types": list(wanted.topics),
    }


def write_manifest(path: Path, document: dict[str, Any]) -> Path:
    """Write the manifest beside the export; return its path."""
    target = manifest_path(path)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target
