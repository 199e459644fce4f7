"""The README and docs/ stay true to the tree: the paths they name exist, the names they point at
are in those files, and the README stays short enough to read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
_PATH = re.compile(
    r"`((?:domain|application|projections|infrastructure|tests|bench|deploy|tools|migrations|docs)/[\w./-]+)`"
)
_WHERE_ROW = re.compile(r"^\| ([^|]+) \| (.+) \|$")


def _documents() -> list[Path]:
    return [README, *DOCS]


def test_readme_is_at_most_250_lines() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.read_text().split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_a_document_names_exists(document: Path) -> None:
    missing = [path for path in _PATH.findall(document.read_text()) if not (ROOT / path.rstrip("/")).exists()]
    assert not missing, f"{document.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", document.read_text())
    missing = [link for link in links if not (document.parent / link).exists()]
    assert not missing, f"{document.name} links to files that do not exist: {missing}"


def test_where_is_table_names_symbols_that_are_in_their_files() -> None:
    text = README.read_text()
    table = text[text.index("| where is... |") :].split("\n\n", 1)[0]
    checked = 0
    for line in table.splitlines()[2:]:
        match = _WHERE_ROW.match(line)
        assert match, line
        # Each `path` (`Symbol`, `other`) names symbols defined or used in the path before them.
        for path, symbols in re.findall(r"`([\w/.]+\.py)` \(([^)]*)\)", match.group(2)):
            source = (ROOT / path).read_text()
            for symbol in re.findall(r"`([\w.]+)`", symbols):
                if symbol.endswith(".py"):  # a sibling module
                    assert (ROOT / path).with_name(symbol).exists(), f"{symbol} is not beside {path}"
                else:
                    assert symbol.split(".")[-1] in source, f"{symbol} is not in {path}"
                checked += 1
    assert checked >= 5


def test_no_document_or_module_points_at_a_design_file_outside_the_repository() -> None:
    sources = [*_documents(), *ROOT.glob("[adip]*/**/*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in sources if "DESIGN.md" in p.read_text()]
    assert not offenders
