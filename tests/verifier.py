"""The stand-alone export verifier (tools/verify_export.py), loaded as a module for tests.

It is a script, not a package module (auditors copy it alone), so tests load it by path.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "verify_export.py"


@cache
def verifier() -> ModuleType:
    """The script's module (loaded once)."""
    spec = importlib.util.spec_from_file_location("verify_export", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_export"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module
