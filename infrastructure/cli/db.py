"""``memesnipe db migrate`` and ``memesnipe db status``."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from infrastructure.bootstrap import migrate
from infrastructure.cli.context import console, reports_errors, settings_of
from infrastructure.errors import ConfigError
from infrastructure.store.migrate import create_login_roles, latest_version, postgres_version, sqlite_version

app = typer.Typer(help="The store's schema.")


@app.command("migrate")
@reports_errors
def migrate_command(ctx: typer.Context) -> None:
    """Apply pending migrations (idempotent; each in one transaction)."""
    settings = settings_of(ctx)
    applied = migrate(settings)
    where = settings.describe_store()
    if applied:
        console.print(f"applied to {where}: {', '.join(applied)}")
    else:
        console.print(f"{where} is up to date")


@app.command("status")
@reports_errors
def status(ctx: typer.Context) -> None:
    """The applied schema version against the one this code ships."""
    settings = settings_of(ctx)
    if settings.store == "memory":
        console.print("memory store: nothing to migrate")
        return
    if settings.store == "sqlite":
        have, need = sqlite_version(str(settings.sqlite_path)), latest_version("sqlite")
    else:
        pg = settings.postgres
        have, need = postgres_version(pg.conninfo(), pg.schema), latest_version("postgres")
    state = "up to date" if have >= need else "behind: run `memesnipe db migrate`"
    console.print(f"{settings.describe_store()}: schema version {have}, code needs {need} ({state})")
    if have < need:
        raise typer.Exit(1)


@app.command("roles")
@reports_errors
def roles(
    ctx: typer.Context,
    app_user: Annotated[
        str, typer.Option(help="Login user for the engine (INSERT and SELECT only).")
    ] = "memesnipe_writer",
    auditor_user: Annotated[
        str, typer.Option(help="Login user for auditors (SELECT only).")
    ] = "memesnipe_reader",
) -> None:
    """PostgreSQL: login users in the application and auditor roles (passwords from
    MEMESNIPE_APP_PASSWORD and MEMESNIPE_AUDITOR_PASSWORD when set)."""
    settings = settings_of(ctx)
    if settings.store != "postgres":
        raise ConfigError("roles exist on PostgreSQL only (use --store postgres or DATABASE_URL)")
    migrate(settings)
    passwords = {
        app_user: os.environ.get("MEMESNIPE_APP_PASSWORD", ""),
        auditor_user: os.environ.get("MEMESNIPE_AUDITOR_PASSWORD", ""),
    }
    create_login_roles(settings.postgres.conninfo(), app_user, auditor_user, passwords)
    console.print(
        f"{app_user}: member of memesnipe_app (SELECT, INSERT on the event and chain tables; "
        "no UPDATE, DELETE)",
        highlight=False,
    )
    console.print(f"{auditor_user}: member of memesnipe_auditor (SELECT only)", highlight=False)
