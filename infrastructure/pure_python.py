"""Which optional C modules are turned off, their Python doing the work: for measuring each.

``MEMESNIPE_PURE_PYTHON`` names them, comma-separated: ``loader`` (the run log's bulk
loader), ``columns`` (stored bars read as columns, and the page reader), ``sma`` (sma_cross's
column scans), ``equity`` (the report's curve and time axis), or ``all``. The store's wrappers
ask once, where they import their C module (a run's writer process inherits the variable); the
engine's process is told by ``apply`` (the CLI and the benchmarks call it first), since the
domain and the application read no environment. Unset or empty, every module that was built
runs.
"""

from __future__ import annotations

import os

from application.reporting import equity_curve, iso_times
from domain.strategies import sma_state

VARIABLE = "MEMESNIPE_PURE_PYTHON"
MODULES = frozenset({"loader", "columns", "sma", "equity"})


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


def apply() -> None:
    """Leave the engine process's own modules (``sma``, ``equity``) unused where the variable
    names them; the store's wrappers read it themselves."""
    if pure_python("sma"):
        sma_state.run_in_python()
    if pure_python("equity"):
        equity_curve.run_in_python()
        iso_times.run_in_python()
