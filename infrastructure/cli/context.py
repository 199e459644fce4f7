"""What every command shares: the settings chosen by the global options, and error reporting."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console

from application.errors import ApplicationError, NothingValidToIngest
from domain.errors import DomainError
from infrastructure.bootstrap import log_file_settings
from infrastructure.config import Settings
from infrastructure.errors import ConfigError, InfrastructureError, SourceError

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_NOTHING_VALID = 1
EXIT_USAGE = 2
EXIT_FAILED = 3


LogOption = Annotated[Path | None, typer.Option(help="A ledger file or run directory (default: the store).")]
"""``--log``: the commands that read a log can read a backtest's run log instead of the store."""


def settings_of(ctx: typer.Context) -> Settings:
    """The settings built by the top-level callback."""
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def chosen_settings(ctx: typer.Context, log: Path | None) -> Settings:
    """The settings of ``--log`` (a ledger file or run directory) if given, else the configured store."""
    return log_file_settings(log) if log is not None else settings_of(ctx)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's expected errors into one clear line on stderr and an exit code."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except NothingValidToIngest as e:
            _fail(str(e), EXIT_NOTHING_VALID)
        except (ConfigError, SourceError, DomainError) as e:
            _fail(str(e), EXIT_USAGE)
        except (ApplicationError, InfrastructureError) as e:
            _fail(str(e), EXIT_FAILED)
        except (PersistenceError, psycopg.Error, sqlite3.Error) as e:
            _fail(f"the event store failed and rolled back the transaction: {e}", EXIT_FAILED)
        raise AssertionError("unreachable")

    return wrapper


def _fail(message: str, code: int) -> None:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.stdout.flush()
    raise typer.Exit(code)
