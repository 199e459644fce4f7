"""``memesnipe audit export``: the chained history, filtered, for an auditor to verify on their own.

The export holds only chained events, each with its exact stored bytes and chain links; the
manifest beside it records the filter, the file's SHA-256, the chain's head and the latest
signed checkpoint. ``tools/verify_export.py`` (standard library only) checks it all.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, cast

import typer

from application.audit.checkpoints import sign_checkpoint
from application.audit.export import AuditExport, ExportFilter, ExportScope
from application.ports import AuditTrail
from domain.audit.chain import checkpoint_message
from domain.errors import DomainError
from domain.events import ALL_EVENT_TYPES
from domain.ids import symbol as parse_symbol
from domain.market.values import parse_timestamp
from infrastructure.audit.export_files import ExportFormat, build_manifest, write_manifest, write_rows
from infrastructure.audit.signing import FileSigner, key_path, signature_valid
from infrastructure.bootstrap import log_file_settings, open_ledger
from infrastructure.cli.context import console, errors, reports_errors, settings_of
from infrastructure.errors import ConfigError
from infrastructure.store.codec import EventCodec
from infrastructure.version import code_version

FORMATS = ("jsonl", "csv", "parquet")


@reports_errors
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="The export file (its manifest goes beside it).")],
    file_format: Annotated[str, typer.Option("--format", help="jsonl, csv or parquet.")] = "jsonl",
    from_: Annotated[
        str | None, typer.Option("--from", help="Events stamped at or after (ISO-8601 or epoch).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Events stamped before (ISO-8601 or epoch).")] = None,
    account: Annotated[str | None, typer.Option(help="Only the sessions of this account.")] = None,
    strategy: Annotated[str | None, typer.Option(help="Only events of this strategy id.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Only events of this instrument.")] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Only this topic (repeatable; 'area.*' for a prefix).")
    ] = None,
    log: Annotated[
        Path | None, typer.Option(help="A ledger file or run directory (default: the store).")
    ] = None,
    sign: Annotated[
        bool, typer.Option("--sign", help="Sign a checkpoint of the chain's head first (needs the key).")
    ] = False,
) -> None:
    """Export the chained event history with its chain links, for an independent check by
    tools/verify_export.py (standard library only)."""
    fmt = _format(file_format)
    wanted = ExportFilter(
        from_ns=_timestamp("--from", from_),
        to_ns=_timestamp("--to", to),
        account=account,
        strategy=strategy,
        symbol=_symbol(symbol),
        topics=tuple(_topic(t) for t in types or ()),
    )
    if wanted.from_ns is not None and wanted.to_ns is not None and wanted.from_ns >= wanted.to_ns:
        raise ConfigError("--from must be before --to")
    if not out.parent.is_dir():
        raise ConfigError(f"no directory {out.parent} to write the export into")
    settings = log_file_settings(log) if log is not None else settings_of(ctx)
    with open_ledger(settings) as store:
        if not hasattr(store.log, "chain_links"):
            raise ConfigError(f"{settings.describe_store()} keeps no hash chain (the memory store)")
        trail = cast(AuditTrail, store.log)
        if sign:
            signer = FileSigner(key_path(settings_of(ctx).data_dir))
            sign_checkpoint(store.log, trail, signer, datetime.now(UTC).isoformat())
        selection = AuditExport(trail, EventCodec(), wanted)
        write_rows(selection.rows(), out, fmt)
        log_last = store.log.last_notification_id()
    provenance = {
        "source": settings.describe_store(),
        "log_last_notification_id": log_last,
        "exported_at": datetime.now(UTC).isoformat(),
        "code_version": code_version(),
        "verify_with": "python3 tools/verify_export.py " + out.name,
    }
    manifest = write_manifest(out, build_manifest(out, fmt, wanted, selection.scope, provenance))
    _report(out, manifest, selection.scope, log_last)


def _format(text: str) -> ExportFormat:
    if text not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {text!r}")
    if text == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError("the parquet format needs pyarrow: pip install pyarrow")
    return cast(ExportFormat, text)


def _timestamp(option: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except DomainError as e:
        raise ConfigError(f"{option}: {e}") from None


def _symbol(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(parse_symbol(text))
    except DomainError as e:
        raise ConfigError(f"--symbol: {e}") from None


def _topic(text: str) -> str:
    known = ALL_EVENT_TYPES.keys()
    if text in known or (text.endswith(".*") and any(t.startswith(text[:-1]) for t in known)):
        return text
    raise ConfigError(f"--type: no event topic {text!r}; topics are {', '.join(sorted(known))}")


def _report(out: Path, manifest: Path, scope: ExportScope, log_last: int) -> None:
    console.print(
        f"exported {scope.rows:,} event{'' if scope.rows == 1 else 's'} to {out} (manifest "
        f"{manifest.name}); chain head at notification id {scope.head_id:,}: {scope.head_hash.hex()}",
        highlight=False,
    )
    if scope.rows == 0:
        console.print("no chained event matched the filter", highlight=False)
    if log_last > scope.head_id:
        console.print(
            f"events after notification id {scope.head_id:,} are not chained yet and not exported: "
            "`memesnipe audit chain` links them",
            highlight=False,
        )
    if scope.undecodable:
        errors.print(
            f"warning: {scope.undecodable:,} stored events do not decode (exported as stored; "
            "run `memesnipe audit verify`)",
            highlight=False,
        )
    signed = scope.checkpoint
    if signed is None:
        errors.print(
            "warning: no signed checkpoint covers this export; rows can be checked against their "
            "links only. Run `memesnipe audit checkpoint` (or pass --sign) and export again.",
            highlight=False,
        )
        return
    c = signed.checkpoint
    if not signature_valid(c.public_key, checkpoint_message(c.head_id, c.head_hash), c.signature):
        errors.print(
            f"warning: the checkpoint recorded at notification id {signed.notification_id} has an "
            "invalid signature: run `memesnipe audit verify`",
            highlight=False,
        )
    console.print(
        f"signed checkpoint: head at notification id {c.head_id:,}, public key {c.public_key.hex()}",
        highlight=False,
    )
    if scope.last_id is not None and scope.last_id > c.head_id:
        console.print(
            f"rows after notification id {c.head_id:,} are chained but not covered by the signature yet",
            highlight=False,
        )
    console.print(f"verify with: python3 tools/verify_export.py {out}", highlight=False)
