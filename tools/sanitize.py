#!/usr/bin/env python3
"""The C modules under AddressSanitizer and UndefinedBehaviorSanitizer: ``make sanitize``.

    python tools/sanitize.py [pytest arguments...]

Copies the working tree (its tracked and new files, no built modules) to ``build/sanitize/tree``,
builds the five modules named in setup.py there with ``-fsanitize=address,undefined
-fno-sanitize-recover=undefined`` (and without CPython's ``-fwrapv``, so a signed overflow is
reported rather than defined), and runs the tests that compare each module with its Python
fallback on them, with ``CI=true`` (a module that did not build fails the run). The in-place
modules of the working tree are not touched.

The interpreter is not built with ASan: ``libasan`` is preloaded (it must come first; and
``libstdc++``, for C++ modules of the dependencies that throw), leaks
are not reported (the interpreter keeps much of its memory to the end, by design), and Python
allocates through malloc (``PYTHONMALLOC=malloc``) so that ASan sees the bounds of every
object, the bytes these modules fill among them. Any report aborts the test process, which
fails the run; the sanitizers' reports are written to ``build/sanitize/reports`` and printed.
Extra arguments go to pytest in place of the default test list. Where gcc has no ASan runtime
the run is skipped, and fails under ``CI=true``.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "sanitize"
TREE = BUILD / "tree"
REPORTS = BUILD / "reports"
FLAGS = [
    "-O1",
    "-g",
    "-fno-omit-frame-pointer",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fPIC",
    "-shared",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-Werror=deprecated-declarations",
]
TESTS = [
    "tests/unit/test_c_modules.py",
    "tests/unit/test_bar_columns.py",
    "tests/unit/test_equity_curve.py",
    "tests/unit/test_iso_times.py",
    "tests/properties/test_sma_state.py",
    "tests/properties/test_engine_scan.py",
    "tests/integration/test_bulk_loader.py",
    "tests/integration/test_c_in_use.py",
]


def extensions() -> list[tuple[str, list[str], list[str]]]:
    """setup.py's Extension(name, sources=..., libraries=...) calls, read from its source."""
    found = []
    for node in ast.walk(ast.parse((ROOT / "setup.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Extension":
            name = ast.literal_eval(node.args[0])
            keywords = {k.arg: k.value for k in node.keywords}
            sources = ast.literal_eval(keywords["sources"])
            libraries = ast.literal_eval(keywords["libraries"]) if "libraries" in keywords else []
            found.append((name, sources, libraries))
    return found


def copy_tree() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],  # noqa: S607 -- git from PATH, as make's
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    shutil.rmtree(TREE, ignore_errors=True)
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file() and source.suffix != ".so":
            target = TREE / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build() -> None:
    include, suffix = sysconfig.get_paths()["include"], sysconfig.get_config_var("EXT_SUFFIX")
    for name, sources, libraries in extensions():
        target = TREE / (name.replace(".", "/") + suffix)
        command = [
            "gcc",
            *FLAGS,
            f"-I{include}",
            *(str(TREE / s) for s in sources),
            "-o",
            str(target),
            *(f"-l{library}" for library in libraries),
        ]
        print(f"building {name} with ASan and UBSan", flush=True)
        subprocess.run(command, cwd=TREE, check=True)  # noqa: S603 -- gcc on our own sources


def _library(name: str) -> str:
    return subprocess.run(  # noqa: S603 -- gcc names its own libraries
        ["gcc", f"-print-file-name={name}"],  # noqa: S607 -- gcc from PATH, as setup.py's build
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def environment() -> dict[str, str]:
    # libstdc++ preloaded beside libasan: ASan finds C++'s __cxa_throw at start only if it is
    # loaded then, and a C++ module of a dependency (matplotlib's ft2font) throws on import.
    return {
        **os.environ,
        "LD_PRELOAD": f"{_library('libasan.so')} {_library('libstdc++.so')}",
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:strict_string_checks=1:"
        f"detect_stack_use_after_return=1:log_path={REPORTS / 'asan'}",
        "UBSAN_OPTIONS": f"print_stacktrace=1:halt_on_error=1:log_path={REPORTS / 'ubsan'}",
        "PYTHONMALLOC": "malloc",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CI": "true",
    }


def check_loaded(env: dict[str, str]) -> None:
    # The sanitized modules, not the working tree's, are the ones imported in the copy.
    names = [name for name, _, _ in extensions()]
    code = "import importlib, sys; [print(importlib.import_module(n).__file__) for n in sys.argv[1:]]"
    out = subprocess.run(  # noqa: S603 -- this interpreter on our own modules
        [sys.executable, "-c", code, *names], cwd=TREE, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    strays = [path for path in out if not Path(path).resolve().is_relative_to(TREE.resolve())]
    if len(out) != len(names) or strays:
        raise SystemExit(f"the sanitized modules were not the ones imported: {strays or out}")


def main() -> int:
    start = time.perf_counter()
    if not Path(_library("libasan.so")).is_absolute():  # gcc answers the bare name when it has none
        print("sanitize: gcc has no AddressSanitizer runtime here (Debian's gcc ships libasan)")
        return 1 if os.environ.get("CI", "").lower() == "true" else 0
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    copy_tree()
    build()
    env = environment()
    check_loaded(env)
    tests = sys.argv[1:] or TESTS
    run = subprocess.run(  # noqa: S603 -- this interpreter's pytest on our own tests
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q", *tests], cwd=TREE, env=env
    )
    reports = sorted(REPORTS.iterdir())  # written to files: pytest's capture would lose stderr at an abort
    for report in reports:
        print(f"\n{report}:\n{report.read_text()}")
    failed = run.returncode != 0 or bool(reports)
    print(f"sanitize: {'FAILED' if failed else 'passed'} in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
