"""Every optional C module is built where CI runs (gcc and the headers ``make`` installs), and
each can be turned off by name for measuring it (``MEMESNIPE_PURE_PYTHON``).

Each has a Python fallback doing the same work more slowly, which the tests compare it with; a
build that silently lost one would leave those comparisons with nothing to compare, and the
benchmarks slower for no visible reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from application.reporting import equity_curve, iso_times
from domain.strategies import sma_state
from infrastructure.pure_python import MODULES, VARIABLE
from infrastructure.store import bar_columns, bulk_loader, codec

BUILT = {
    "infrastructure/store/_loader.c": bulk_loader.NATIVE,
    "infrastructure/store/_bar_columns.c": codec.COLUMNS_NATIVE,
    "domain/strategies/_sma_kernel.c": sma_state.NATIVE,
    "application/reporting/_equity_marks.c": equity_curve.NATIVE,
}


@pytest.mark.skipif(os.environ.get("CI", "").lower() != "true", reason="only CI must build them all")
def test_under_ci_every_c_module_is_built() -> None:
    assert [module for module, built in BUILT.items() if not built] == []


_FLAGS = """
import json
from infrastructure import pure_python
pure_python.apply()  # as the CLI and the benchmarks do first
from application.reporting import equity_curve, iso_times
from domain.strategies import sma_state
from infrastructure.store import bar_columns, bulk_loader, codec, sqlite_log
print(json.dumps({
    "loader": bulk_loader.NATIVE,
    "columns": bar_columns.NATIVE and codec.COLUMNS_NATIVE and sqlite_log.StateReader is not None,
    "sma": sma_state.NATIVE,
    "equity": equity_curve.NATIVE and iso_times._kernel is not None,
}))
"""
ROOT = Path(__file__).resolve().parents[2]


def _flags_with(value: str) -> subprocess.CompletedProcess[str]:
    # The wrappers' flags in a fresh interpreter (each reads the variable once, at import).
    env = {**os.environ, VARIABLE: value}
    return subprocess.run([sys.executable, "-c", _FLAGS], cwd=ROOT, env=env, capture_output=True, text=True)


def _built_here() -> dict[str, bool]:
    return {
        "loader": bulk_loader.NATIVE,
        "columns": bar_columns.NATIVE and bar_columns.StateReader is not None,
        "sma": sma_state.NATIVE,
        "equity": equity_curve.NATIVE and iso_times._kernel is not None,
    }


@pytest.mark.skipif(bool(os.environ.get(VARIABLE)), reason=f"{VARIABLE} is set for this run")
@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_name_turns_its_module_alone_off(name: str) -> None:
    run = _flags_with(f" {name} ")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {**_built_here(), name: False}


def test_all_turns_every_module_off_and_an_unknown_name_is_refused() -> None:
    run = _flags_with("loader,all")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == dict.fromkeys(MODULES, False)
    run = _flags_with("loader,colums")
    assert run.returncode != 0 and "colums" in run.stderr
