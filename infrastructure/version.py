"""The code version a run records: package version plus the git commit when there is one."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@cache
def code_version() -> str:
    """``memesnipe <version>`` and, inside a git checkout, ``+g<commit>`` (``.dirty`` if modified)."""
    try:
        base = f"memesnipe {version('memesnipe')}"
    except PackageNotFoundError:
        base = "memesnipe (not installed)"
    git = shutil.which("git")
    if git is None:
        return base
    try:
        commit = subprocess.run(  # noqa: S603 -- fixed arguments, no user input
            [git, "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{commit}{'.dirty' if dirty else ''}"
