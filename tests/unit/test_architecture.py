"""The layer rule ("Layers" in docs/architecture.md), checked on the source: imports point inward only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["domain", "projections", "application", "infrastructure"]
ALLOWED_PROJECT_IMPORTS = {
    "domain": {"domain"},
    "projections": {"domain", "projections"},
    "application": {"domain", "projections", "application"},
    "infrastructure": set(LAYERS),
}
DOMAIN_THIRD_PARTY = {"msgspec", "eventsourcing.domain"}
WALL_CLOCK_OR_RANDOM = {
    "now",
    "utcnow",
    "today",
    "time",
    "time_ns",
    "monotonic",
    "perf_counter",
    "random",
    "uuid1",
    "uuid4",
    "urandom",
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_itself_and_inner_layers(layer: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(layer)
        for name in _imports(path)
        if name.split(".")[0] in LAYERS and name.split(".")[0] not in ALLOWED_PROJECT_IMPORTS[layer]
    ]
    assert offenders == []


def test_domain_imports_only_stdlib_msgspec_and_eventsourcing_domain() -> None:
    # ``os`` too: the domain reads no environment (settings reach it through the composition root).
    offenders = []
    for path in _modules("domain"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "domain" or top == "__future__":
                if top in {"os", "random", "secrets", "socket", "sqlite3", "subprocess"}:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
                continue
            if not any(name == ok or name.startswith(ok + ".") for ok in DOMAIN_THIRD_PARTY):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_domain_never_reads_the_clock_or_randomness() -> None:
    offenders = []
    for path in _modules("domain"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in WALL_CLOCK_OR_RANDOM:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}")
    assert offenders == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from infrastructure.config import Settings\nimport psycopg\n")
    assert _imports(bad) == ["infrastructure.config", "psycopg"]
