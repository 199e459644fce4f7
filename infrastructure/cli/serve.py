"""``memesnipe serve`` (the read-model API and dashboard) and ``memesnipe api-keys``."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from infrastructure.api.app import create_app
from infrastructure.api.keys import ROLES, ApiKeyStore
from infrastructure.bootstrap import migrate
from infrastructure.cli.context import LogOption, chosen_settings, console, reports_errors
from infrastructure.errors import ConfigError
from infrastructure.read_models.writer_lock import writer_lock
from infrastructure.runtime import freeze_startup_heap

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.")


@reports_errors
def serve(
    ctx: typer.Context,
    log: LogOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    projections: Annotated[
        bool, typer.Option(help="Run the projections in this process (else `memesnipe projections run`).")
    ] = True,
) -> None:
    """Serve the read-model API, the event stream, the metrics and the dashboard (at /)."""
    settings = chosen_settings(ctx, log)
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be 1-65535, got {port}")
    if settings.store == "sqlite":
        migrate(settings)
    if projections:
        with writer_lock(settings):  # refuse now, with the reason, rather than from inside the server
            pass
    app = create_app(settings, run_projections=projections)
    console.print(
        f"serving {settings.describe_store()} on http://{host}:{port}/ (Ctrl-C stops)", highlight=False
    )
    freeze_startup_heap()  # this process now only serves: keep its modules out of full collections
    uvicorn.run(app, host=host, port=port, log_level="warning")


@keys_app.command("create")
@reports_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")],
    log: LogOption = None,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    settings = chosen_settings(ctx, log)
    if settings.store == "sqlite":
        migrate(settings)
    key, identity = ApiKeyStore(settings).create(name, role)
    console.print(f"created {identity.role} key {identity.key_id} for {identity.name}; it is shown only now:")
    typer.echo(key)


@keys_app.command("list")
@reports_errors
def list_keys(ctx: typer.Context, log: LogOption = None) -> None:
    """Every key's id, name, role and whether it is revoked (never the key)."""
    for key in ApiKeyStore(chosen_settings(ctx, log)).list():
        state = "revoked" if key.revoked else "active"
        console.print(f"{key.key_id}  {key.role:<8} {state:<8} {key.created_at}  {key.name}", highlight=False)


@keys_app.command("revoke")
@reports_errors
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (from `api-keys list`).")],
    log: LogOption = None,
) -> None:
    """Revoke a key (the API refuses it within its key cache's lifetime, 30 s)."""
    if not ApiKeyStore(chosen_settings(ctx, log)).revoke(key_id):
        raise ConfigError(f"no API key with id {key_id!r}")
    console.print(f"revoked {key_id}")
