"""Which optional C modules are turned off, their Python doing the work: for measuring each.

``MEMESNIPE_PURE_PYTHON`` names them, comma-separated: ``chain`` (the hash chain's linker),
``loader`` (the run log's bulk loader), ``columns`` (stored bars read as columns, and the page
reader), ``sma`` (sma_cross's column scans), ``equity`` (the report's curve and time axis), or
``all``. Each module's wrapper asks once, where it imports its C module; a run's writer process
inherits the variable. Unset or empty, every module that was built runs.
"""

from __future__ import annotations

import os

VARIABLE = "MEMESNIPE_PURE_PYTHON"
MODULES = frozenset({"chain", "loader", "columns", "sma", "equity"})


def pure_python(module: str) -> bool:
    """Whether ``module`` (one of ``MODULES``) runs in Python in this process. A name the
    variable holds that is not a module raises ValueError: a measurement would else measure
    something other than it says."""
    names = {name.strip() for name in os.environ.get(VARIABLE, "").split(",")} - {""}
    unknown = names - MODULES - {"all"}
    if unknown or module not in MODULES:
        raise ValueError(
            f"{VARIABLE} takes {', '.join(sorted(MODULES))} or all, not {sorted(unknown or {module})}"
        )
    return module in names or "all" in names
