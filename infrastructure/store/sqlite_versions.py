"""Whether a C module that opens SQLite files runs on the very SQLite Python's ``sqlite3`` does.

Two SQLite libraries in one process would not see each other's POSIX locks on a file (each keeps
its own table of them), and a module built against other headers than the library it loaded
may call what that library lacks. So a module is used only where the headers it was built with
(``SQLITE_HEADER_VERSION_NUMBER``), the library it runs on (``sqlite_version_number``,
``sqlite_version``) and Python's ``sqlite3.sqlite_version`` are one version; elsewhere its
wrapper uses the Python path.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def version_number(text: str) -> int:
    """``3.40.1`` as SQLite numbers it: 3040001."""
    major, minor, patch = (int(part) for part in [*text.split("."), "0", "0"][:3])
    return major * 1_000_000 + minor * 1_000 + patch


def same_sqlite(module: Any) -> bool:
    """Whether ``module`` (a C module exposing the three versions) runs on Python's SQLite."""
    try:
        header, library = module.SQLITE_HEADER_VERSION_NUMBER, module.sqlite_version_number()
        text = module.sqlite_version()
    except AttributeError:  # a module built before it reported them: not known to be the same
        return False
    python = sqlite3.sqlite_version
    return bool(header == library == version_number(python) and text == python)
