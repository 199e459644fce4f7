"""Every optional C module is built where CI runs (gcc and the headers ``make`` installs).

Each has a Python fallback doing the same work more slowly, which the tests compare it with; a
build that silently lost one would leave those comparisons with nothing to compare, and the
benchmarks slower for no visible reason.
"""

from __future__ import annotations

import os

import pytest

from application.reporting import equity_curve
from domain.strategies import sma_state
from infrastructure.store import bulk_loader, chain_linker, codec

BUILT = {
    "infrastructure/store/_chain.c": chain_linker.NATIVE,
    "infrastructure/store/_loader.c": bulk_loader.NATIVE,
    "infrastructure/store/_bar_columns.c": codec.COLUMNS_NATIVE,
    "domain/strategies/_sma_kernel.c": sma_state.NATIVE,
    "application/reporting/_equity_marks.c": equity_curve.NATIVE,
}


@pytest.mark.skipif(os.environ.get("CI", "").lower() != "true", reason="only CI must build them all")
def test_under_ci_every_c_module_is_built() -> None:
    assert [module for module, built in BUILT.items() if not built] == []
