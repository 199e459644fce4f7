#!/usr/bin/env python3
"""Verify a MemeSnipe audit export with the Python standard library alone.

    python3 verify_export.py EXPORT [--manifest FILE] [--public-key HEX] [--anchor FILE]

EXPORT is a .jsonl, .csv or .parquet file written by ``memesnipe audit export``; its
manifest is EXPORT.manifest.json. Take this script from the project's repository, not
from whoever hands you the export. It imports nothing from the project (Parquet rows
need pyarrow; without it only the file's hash is checked, exit status 3).

Checks, each failure named by notification id:
1. the file's SHA-256 and row count are the manifest's (the manifest is not signed: this
   catches accidents; the checks below catch a forger who rewrites the manifest too);
2. each row: chain_hash == SHA-256(chain_prev || canonical(row)), and its readable
   fields (event, ts_event, time, symbol, strategy) are what its stored bytes hold;
3. where a row says nothing was left out before it (``contiguous``), its chain_prev is the
   previous row's chain_hash (32 zero bytes before the first event of the log); a
   complete (unfiltered) export must be contiguous throughout and end at the chain head;
4. the checkpoint's Ed25519 signature over (head id, head hash), and that the row at the
   head's notification id has that hash; --public-key or --anchor (a file from
   ``memesnipe audit checkpoint --export`` you kept) pin the key you trust.

What passing proves: rows joined by unbroken links to the signed head cannot have been
changed, removed, inserted or reordered without breaking the signed hash; in a complete
export that is every row from the first event of the log to the head. A row not joined
to the head (a filtered export leaves out the events between) is only shown consistent
with its own link. The account column, and the strategy and symbol columns of events that
do not name them themselves (venue reports, breakers), are the exporter's attribution
(from the session in force and the order's risk decision) and are not checked here.
Without --public-key or --anchor the checkpoint's key is the one in the manifest: compare
it with the key you were given; with either, a missing or foreign signature is a failure,
and so is a trusted head that no row is tied to (or, in a complete export, that lies past
its last row: the export would be cut short of what was signed).
Exit status: 0 verified, 1 a check failed, 2 unusable input, 3 rows not checked.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import importlib
import json
import struct
import sys
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

GENESIS = bytes(32)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # noqa: UP017 -- older Pythons too


def canonical(notification_id: int, originator_id: bytes, version: int, topic: str, state: bytes) -> bytes:
    """The bytes of one event the chain covers (as domain/audit/chain.py defines them)."""
    name = topic.encode()
    fixed = struct.pack(">Q16sQH", notification_id, originator_id, version, len(name))
    return fixed + name + struct.pack(">I", len(state)) + state


def checkpoint_message(head_id: int, head_hash: bytes) -> bytes:
    """What a checkpoint signs."""
    return b"memesnipe-checkpoint-v1" + head_id.to_bytes(8, "big", signed=True) + head_hash


# Ed25519 verification: the reference code of RFC 8032, section 6 (points in extended coordinates).
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]


def _add(a: Point, b: Point) -> Point:
    x = (a[1] - a[0]) * (b[1] - b[0]) % P
    y = (a[1] + a[0]) * (b[1] + b[0]) % P
    c, d = 2 * a[3] * b[3] * D % P, 2 * a[2] * b[2] % P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point, s = _add(point, point), s >> 1
    return result


def _equal(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    return P - x if (x & 1) != sign else x


def _decompress(data: bytes) -> Point | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0) or 0
BASE: Point = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public_key), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % Q
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# The stored bytes: msgpack as msgspec writes events, zlib-compressed after a 0xC1 byte.
_NUMBERS = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q"}
_NUMBERS.update({0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"})
_SIZED = {0xC4: (">B", "bin"), 0xC5: (">H", "bin"), 0xC6: (">I", "bin"), 0xD9: (">B", "str")}
_SIZED.update({0xDA: (">H", "str"), 0xDB: (">I", "str"), 0xDC: (">H", "array"), 0xDD: (">I", "array")})
_SIZED.update({0xDE: (">H", "map"), 0xDF: (">I", "map")})
_CONSTANTS: dict[int, Any] = {0xC0: None, 0xC2: False, 0xC3: True}


def _unpack(data: bytes, at: int) -> tuple[Any, int]:
    tag, at = data[at], at + 1
    if tag <= 0x7F or tag >= 0xE0:
        return (tag if tag <= 0x7F else tag - 256), at
    if tag in _CONSTANTS:
        return _CONSTANTS[tag], at
    if tag in _NUMBERS:
        return struct.unpack_from(_NUMBERS[tag], data, at)[0], at + struct.calcsize(_NUMBERS[tag])
    if tag in _SIZED:
        form, kind = _SIZED[tag]
        size, at = struct.unpack_from(form, data, at)[0], at + struct.calcsize(form)
    elif tag <= 0x9F:
        kind, size = ("map" if tag <= 0x8F else "array"), tag & 0x0F
    elif tag <= 0xBF:
        kind, size = "str", tag & 0x1F
    else:
        raise ValueError(f"msgpack type 0x{tag:02x} is not one events use")
    if kind in ("bin", "str"):
        if at + size > len(data):
            raise ValueError("truncated")
        raw = data[at : at + size]
        return (raw.decode() if kind == "str" else bytes(raw)), at + size
    items = []
    for _ in range(size * 2 if kind == "map" else size):
        item, at = _unpack(data, at)
        items.append(item)
    return ({items[i]: items[i + 1] for i in range(0, len(items), 2)} if kind == "map" else items), at


def stored_fields(state: bytes) -> Any:
    """The fields an event's stored bytes hold."""
    if state[:1] == b"\xc1":
        state = zlib.decompress(state[1:])
    value, end = _unpack(state, 0)
    if end != len(state):
        raise ValueError("bytes after the event")
    return value


def same(shown: Any, stored: Any) -> bool:
    """Whether readable JSON fields say what the stored fields hold (bytes as base64, ids as UUIDs)."""
    if isinstance(stored, bytes):
        return isinstance(shown, str) and (
            shown == base64.b64encode(stored).decode()
            or (len(stored) == 16 and shown == str(uuid.UUID(bytes=stored)))
        )
    if isinstance(stored, dict):
        return (
            isinstance(shown, dict)
            and shown.keys() == stored.keys()
            and all(same(shown[k], stored[k]) for k in stored)
        )
    if isinstance(stored, list):
        return isinstance(shown, list) and len(shown) == len(stored) and all(map(same, shown, stored))
    return type(shown) is type(stored) and shown == stored


@dataclass
class Row:
    """One exported event, as typed values."""

    notification_id: int
    originator_id: bytes
    version: int
    topic: str
    ts_event: int | None
    time: str
    strategy: str
    symbol: str
    state: bytes
    event: Any
    chain_prev: bytes
    chain_hash: bytes | None
    contiguous: bool


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def parse_row(record: dict[str, Any]) -> Row:
    """A row from any format (CSV gives text, JSON Lines JSON values, Parquet typed values)."""
    state, event, hashed = record["state"], record["event"], record["chain_hash"]
    contiguous = record["contiguous"]
    if contiguous not in (True, False, "true", "false"):
        raise ValueError(f"contiguous is {contiguous!r}")
    prev = bytes.fromhex(record["chain_prev"])
    if len(prev) != 32:
        raise ValueError("chain_prev is not 32 bytes")
    return Row(
        notification_id=_int(record["notification_id"]),
        originator_id=uuid.UUID(record["originator_id"]).bytes,
        version=_int(record["originator_version"]),
        topic=record["topic"],
        ts_event=None if record["ts_event"] in (None, "") else _int(record["ts_event"]),
        time=record["time"],
        strategy=record["strategy"],
        symbol=record["symbol"],
        state=state if isinstance(state, bytes) else base64.b64decode(state, validate=True),
        event=(json.loads(event) if event else None) if isinstance(event, str) or event is None else event,
        chain_prev=prev,
        chain_hash=bytes.fromhex(hashed) if hashed else None,
        contiguous=contiguous in (True, "true"),
    )


def row_problems(row: Row) -> list[str]:
    """What is wrong with one row on its own (empty when nothing)."""
    if row.chain_hash is None:
        return ["no chain link covers this event (it was inserted behind the chain's back)"]
    problems = []
    if (
        hashlib.sha256(
            row.chain_prev
            + canonical(row.notification_id, row.originator_id, row.version, row.topic, row.state)
        ).digest()
        != row.chain_hash
    ):
        problems.append("its content does not hash to its chain link (modified)")
    fields = stored_fields(row.state)
    if not isinstance(fields, dict) or not same(row.event, fields):
        problems.append("its readable event fields are not what its stored bytes hold")
        return problems
    ts = fields.get("ts_event")
    time = (EPOCH + timedelta(microseconds=ts // 1000)).isoformat() if isinstance(ts, int) else ""
    if row.ts_event != ts or row.time != time:
        problems.append("its ts_event or time column is not the event's own timestamp")
    for column, key in ((row.symbol, "symbol"), (row.strategy, "strategy_id")):
        if key in fields and column != fields[key]:
            problems.append(f"its {key} column is not the event's own")
    return problems


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_records(path: Path, file_format: str) -> Iterator[dict[str, Any]]:
    """The rows of an export as dictionaries; ImportError for Parquet without pyarrow."""
    if file_format == "parquet":
        parquet = importlib.import_module("pyarrow.parquet")
        for batch in parquet.ParquetFile(str(path)).iter_batches():
            yield from batch.to_pylist()
    elif file_format == "csv":
        csv.field_size_limit(2**31 - 1)
        with path.open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
    else:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


@dataclass
class Signed:
    """A signed head to check the rows against (the manifest's checkpoint or an anchor)."""

    label: str
    head_id: int
    head_hash: bytes
    public_key: bytes
    tied: int = 0
    from_genesis: bool = False
    found: bool = False


@dataclass
class Outcome:
    """Failures (any one fails the export) and notes (what was proven and what was not)."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    after_head: int = 0


def signed_heads(manifest: dict[str, Any], key: bytes | None, anchor: Any, out: Outcome) -> list[Signed]:
    """The checkpoint and the anchor whose signatures hold, by the trusted key if one is given."""
    heads = []
    trusted = key or (base64.b64decode(anchor["public_key"]) if anchor else None)
    for label, doc, decode in (
        ("checkpoint", manifest["checkpoint"], bytes.fromhex),
        ("anchor", anchor, None),
    ):
        if not doc:
            continue
        read = decode or base64.b64decode
        head = Signed(label, int(doc["head_id"]), read(doc["head_hash"]), read(doc["public_key"]))
        message = checkpoint_message(head.head_id, head.head_hash)
        if not ed25519_valid(head.public_key, message, read(doc["signature"])):
            out.failures.append(f"the {label}'s signature is not valid for its head {head.head_id}")
        elif trusted is not None and head.public_key != trusted:
            out.failures.append(f"the {label} is signed by {head.public_key.hex()}, not the key you trust")
        else:
            heads.append(head)
    return heads


def verify(path: Path, manifest: dict[str, Any], key: bytes | None = None, anchor: Any = None) -> Outcome:
    """Every check of the module docstring; the rows are read once, in order."""
    out = Outcome()
    if file_sha256(path) != manifest["sha256"]:
        out.failures.append("the file's SHA-256 is not the manifest's: the file was changed after export")
    complete, heads = bool(manifest["complete"]), signed_heads(manifest, key, anchor, out)
    last_signed = max((h.head_id for h in heads), default=None)
    previous: bytes | None = None
    last_id, run_start, run_genesis = -1, 0, False
    for index, record in enumerate(read_records(path, manifest["file_format"])):
        where = f"row {index + 1}"
        try:
            row = parse_row(record)
            where = f"notification id {row.notification_id}"
            problems = row_problems(row)
        except (ValueError, TypeError, KeyError, IndexError, struct.error, zlib.error, RecursionError) as e:
            problems, row = [f"unreadable ({type(e).__name__}: {e})"], None
        out.failures += [f"{where}: {problem}" for problem in problems]
        out.rows = index + 1
        if row is None:
            previous, run_start, run_genesis = None, index + 1, False
            continue
        linked = row.chain_prev == (GENESIS if index == 0 else previous)
        if (row.contiguous or complete) and not linked:
            out.failures.append(f"{where}: chain_prev is not the previous row's chain_hash (a gap)")
        if complete and not row.contiguous:
            out.failures.append(f"{where}: marked as following a left-out event in a complete export")
        if row.notification_id <= last_id:
            out.failures.append(f"{where}: out of notification order")
        if not linked:
            run_start, run_genesis = index, False
        elif index == 0:
            run_genesis = True
        for head in heads:
            if row.notification_id == head.head_id:
                head.found, head.tied, head.from_genesis = True, index - run_start + 1, run_genesis
                if row.chain_hash != head.head_hash:
                    out.failures.append(f"{where}: its chain hash is not the one the {head.label} signed")
        out.after_head += last_signed is not None and row.notification_id > last_signed
        if problems:
            run_start, run_genesis = index + 1, False
        previous, last_id = row.chain_hash, row.notification_id
    _totals(out, manifest, complete, (last_id, previous))
    if (key or anchor) and not heads:
        out.failures.append("no valid checkpoint signed by the key you trust")
    elif (key or anchor) and not any(h.found for h in heads):
        out.failures.append(
            "no row is tied to a head signed by the key you trust (the signed head "
            + ", ".join(str(h.head_id) for h in heads)
            + " is not among the rows): the signature proves nothing about these rows"
        )
    if complete and last_id >= 0:
        for head in heads:
            if head.head_id > last_id:
                out.failures.append(
                    f"the {head.label} signed head {head.head_id}, past the end of this complete export "
                    f"({last_id}): events it covers are missing"
                )
    _notes(out, manifest, heads, complete)
    return out


def _totals(out: Outcome, manifest: dict[str, Any], complete: bool, end: tuple[int, bytes | None]) -> None:
    if out.rows != manifest["rows"]:
        out.failures.append(f"the file holds {out.rows} rows, the manifest says {manifest['rows']}")
    head = manifest["chain_head"]
    if complete and head["notification_id"] and end != (head["notification_id"], bytes.fromhex(head["hash"])):
        out.failures.append(f"the complete export does not end at the chain head {head['notification_id']}")
    if not complete and not any(manifest["filter"].values()):
        out.failures.append("the manifest calls the export filtered but names no filter")


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")


def _notes(out: Outcome, manifest: dict[str, Any], heads: list[Signed], complete: bool) -> None:
    notes = out.notes
    notes.append("each row's bytes hash to its chain link; its readable fields are what the bytes hold")
    for head in heads:
        if head.found:
            start = "from the first event of the log" if head.from_genesis else "unbroken"
            notes.append(
                f"tied to the hash the {head.label} signed (key {head.public_key.hex()}), {start} up to "
                f"notification id {head.head_id}: {_rows(head.tied)}; none of them can have been "
                "changed, removed, inserted or reordered"
            )
        else:
            notes.append(
                f"the {head.label}'s head {head.head_id} is not among the rows: no row is tied to it"
            )
    if out.after_head:
        notes.append(f"after the signed head, chained but not signed yet: {_rows(out.after_head)}")
    untied = out.rows - out.after_head - max((h.tied for h in heads), default=0)
    if untied > 0:
        notes.append(f"consistent with their own links only, not tied to a signature: {_rows(untied)}")
    if not heads:
        notes.append("NOT SIGNED: no valid checkpoint ties these rows to a signed head")
    elif not any(h.label == "anchor" for h in heads):
        notes.append("compare the key above with the one you were given (--public-key checks it)")
    if complete:
        notes.append(
            f"complete: every chained event up to notification id {manifest['chain_head']['notification_id']}"
        )
    else:
        notes.append(
            f"filtered ({json.dumps(manifest['filter'])}): this cannot show that no matching event is missing"
        )


def main(argv: list[str] | None = None) -> int:
    """Verify and print the verdict; the exit status says it too."""
    parser = argparse.ArgumentParser(description="Verify a MemeSnipe audit export (standard library only).")
    parser.add_argument("export", type=Path)
    parser.add_argument("--manifest", type=Path, help="default: EXPORT.manifest.json")
    parser.add_argument("--public-key", help="the checkpoint key you trust, hex")
    parser.add_argument("--anchor", type=Path, help="an anchor from `memesnipe audit checkpoint --export`")
    args = parser.parse_args(argv)
    export: Path = args.export
    try:
        manifest = json.loads((args.manifest or export.with_name(export.name + ".manifest.json")).read_text())
        anchor = json.loads(args.anchor.read_text()) if args.anchor else None
        key = bytes.fromhex(args.public_key) if args.public_key else None
        outcome = verify(export, manifest, key, anchor)
    except ImportError:
        matches = file_sha256(export) == manifest["sha256"]
        print(
            f"NOT VERIFIED: the SHA-256 {'matches' if matches else 'does NOT match'} the manifest, but "
            "this Python has no pyarrow to read Parquet rows (install it, or verify a JSON Lines export)"
        )
        return 3 if matches else 1
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"cannot verify: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    if outcome.failures:
        print(f"FAILED: {len(outcome.failures)} problems in {_rows(outcome.rows)} of {export}")
        print("\n".join(f"  - {failure}" for failure in outcome.failures[:50]))
        if len(outcome.failures) > 50:
            print(f"  ... and {len(outcome.failures) - 50} more")
        return 1
    print(f"VERIFIED: {_rows(outcome.rows)} of {export}; the SHA-256 matches the manifest")
    print("\n".join(f"  - {note}" for note in outcome.notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
