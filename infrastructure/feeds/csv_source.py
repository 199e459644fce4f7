"""CSV exports of bars, trades and quotes as ``Source`` rows, streamed.

The common export layout: a header row; the first column is the timestamp
whatever its name; the other columns are found by case-insensitive name
(aliases below). A file whose first row is already data (no header) is read
by position. The file is read twice, both times streaming: once for its
SHA-256 (the idempotence key), once for the rows.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path

from application.ingest import Source, SourceRow
from domain.errors import InvalidMarketData
from domain.market.rows import FIELDS_BY_KIND, OPTIONAL_FIELDS
from domain.market.values import parse_timestamp
from infrastructure.errors import SourceError

ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "close_price", "last"),
    "volume": ("volume", "vol", "v", "base_volume", "volume_base"),
    "price": ("price", "px", "p", "rate"),
    "size": ("size", "amount", "qty", "quantity", "volume", "vol"),
    "side": ("side", "taker_side", "aggressor", "aggressor_side", "type"),
    "trade_id": ("trade_id", "id", "tid", "tradeid", "trade id"),
    "bid": ("bid", "bid_price", "bid_px", "best_bid", "bidprice"),
    "bid_size": ("bid_size", "bid_qty", "bid_amount", "bidsize", "bid_volume"),
    "ask": ("ask", "ask_price", "ask_px", "best_ask", "askprice", "offer"),
    "ask_size": ("ask_size", "ask_qty", "ask_amount", "asksize", "ask_volume", "offer_size"),
}
_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def csv_source(path: Path, kind: str) -> Source:
    """A streamed source over ``path``; raises SourceError for unreadable files or headers."""
    if kind not in FIELDS_BY_KIND:
        raise SourceError(f"unknown data kind {kind!r}; expected one of {', '.join(FIELDS_BY_KIND)}")
    try:
        digest = file_digest(path)
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()  # bad bytes further on are refused with their own row
        if "\ufffd" in first or "\x00" in first:
            raise SourceError(f"cannot read {path}: its first line is not UTF-8 text")
        header = next(csv.reader((first,)), None)
    except FileNotFoundError:
        raise SourceError(f"no such file: {path}") from None
    except (OSError, csv.Error) as e:
        raise SourceError(f"cannot read {path}: {e}") from None
    if not header:
        raise SourceError(f"{path} is empty")
    columns, has_header = _columns(header, kind)
    return Source(name=path.name, digest=digest, rows=_rows(path, columns, has_header))


def _columns(header: list[str], kind: str) -> tuple[list[int | None], bool]:
    fields = FIELDS_BY_KIND[kind]
    if _looks_like_data(header):
        return [i if i < len(header) else None for i in range(len(fields))], False
    names = [h.strip().lower() for h in header]
    columns: list[int | None] = [0]
    missing = []
    for field in fields[1:]:
        index = next((names.index(a) for a in ALIASES[field] if a in names[1:]), None)
        if index == 0:
            index = None
        if index is None and field not in OPTIONAL_FIELDS:
            missing.append(field)
        columns.append(index)
    if missing:
        raise SourceError(
            f"the header has no column for {', '.join(missing)} "
            f"(found: {', '.join(header)}); the first column is read as the timestamp"
        )
    return columns, True


def _looks_like_data(row: list[str]) -> bool:
    """A first row is data when it starts with a timestamp and names no column (a trade's side or
    id is text, so the other values need not be numbers)."""
    try:
        parse_timestamp(row[0])
    except InvalidMarketData:
        return False
    return not any(value.strip().lower() in _COLUMN_NAMES for value in row[1:])


_COLUMN_NAMES = frozenset(name for names in ALIASES.values() for name in names)


def _rows(path: Path, columns: list[int | None], has_header: bool) -> Iterator[SourceRow]:
    """One row per line: a market-data row never spans lines, so a stray quote or an overlong
    field is refused with its own line and cannot swallow the lines after it."""
    wanted = [c for c in columns if c is not None]
    width = max(wanted) + 1
    getter = itemgetter(*columns) if None not in columns else None
    nothing = tuple(None for _ in columns)
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        for number, text in enumerate(handle, 1):
            if number == 1 and has_header:
                continue
            raw = text.rstrip("\r\n")
            if not raw:
                continue
            try:
                record = next(csv.reader((raw,)))
            except csv.Error as e:
                yield SourceRow(line=number, fields=nothing, raw=raw, problem=f"not a CSV row: {e}")
                continue
            if getter is not None and len(record) >= width:
                fields = getter(record)
            else:
                fields = tuple(record[c] if c is not None and c < len(record) else None for c in columns)
            yield SourceRow(line=number, fields=fields, raw=raw)
