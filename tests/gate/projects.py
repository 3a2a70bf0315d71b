"""Small real projects for the gate's end-to-end tests: source, tests, setup.cfg [mutmut] and
pyproject [tool.gate], written into a temporary directory, with helpers to run `gate` and mutmut on them.

Usage (any e2e test may reuse it):

    from tests.gate.projects import make_project, CALC_SOURCE, CALC_TESTS_STRONG

    def test_something(tmp_path):
        project = make_project(tmp_path, source={"calc.py": CALC_SOURCE}, tests={"test_calc.py": CALC_TESTS_STRONG})
        proc = project.gate("run", "--json")        # runs `python -m gate run --json` in the project
        assert proc.returncode == 0
        report = project.report()                   # .gate/results.json as a dict

`source` files go into the package (`pkg/` by default, `src/pkg/` with layout="src"); `tests` files into
`tests/`. The default target `core` holds every source module; pass `targets=` to change it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A module with one function per kind of outcome: `add` is killed by every suite, `grade` has boundary
# survivors under the weak tests, `untested` no weak test runs, and `label` is decorated (a blind spot).
CALC_SOURCE = """\
import functools


def add(a, b):
    return a + b


def grade(score):
    if score >= 90:
        return "A"
    if score >= 50:
        return "B"
    return "C"


def untested(x):
    return x * 2


@functools.cache
def label(x):
    return f"#{x}"
"""

# Weak: grade's boundaries and its "B" branch are never checked, `untested` is never called.
CALC_TESTS_WEAK = """\
from pkg.calc import add, grade


def test_add():
    assert add(2, 3) == 5


def test_grade_far_from_boundaries():
    assert grade(95) == "A"
    assert grade(10) == "C"
"""

# Strong: every mutant of add, grade and untested is killed.
CALC_TESTS_STRONG = """\
from pkg.calc import add, grade, untested


def test_add():
    assert add(2, 3) == 5


def test_grade_boundaries():
    assert grade(90) == "A"
    assert grade(89) == "B"
    assert grade(50) == "B"
    assert grade(49) == "C"


def test_untested():
    assert untested(3) == 6
"""


@dataclass
class Project:
    """A project on disk; `gate(...)` and `mutmut(...)` run the real commands in it."""

    root: Path
    package: str = "pkg"
    layout: str = "flat"

    @property
    def package_dir(self) -> Path:
        return self.root / ("src" if self.layout == "src" else "") / self.package

    def source_path(self, module: str) -> str:
        """Repository-relative path of a source module, e.g. "pkg/calc.py"."""
        return (self.package_dir / module).relative_to(self.root).as_posix()

    def write(self, relative: str, text: str) -> Path:
        """Write a file (dedented), bumping its mtime so mutmut sees the edit even within one second."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        old = path.stat().st_mtime if existed else 0.0
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        if existed:
            bumped = max(time.time(), old + 1.0)
            os.utime(path, (bumped, bumped))
        return path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"MUTANT_UNDER_TEST", "PYTEST_ADDOPTS", "CI"}}
        env["NO_COLOR"] = "1"
        env.update(extra or {})
        return env

    def gate(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `python -m gate ARGS` in the project; returns the completed process (text output)."""
        return subprocess.run(
            [sys.executable, "-m", "gate", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(env),
        )

    def popen_gate(self, *args: str, ignore_sigint: bool = False) -> subprocess.Popen[str]:
        """Start `python -m gate ARGS` without waiting (for interrupt tests); ``ignore_sigint`` starts it
        as a shell without job control starts a background job, with SIGINT ignored."""
        return subprocess.Popen(
            [sys.executable, "-m", "gate", *args],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,
        )

    def mutmut(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the raw `mutmut ARGS` in the project."""
        return subprocess.run(
            [sys.executable, "-m", "mutmut", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
        )

    def report(self, scope: str = "full") -> dict[str, Any]:
        """The last results of a scope: .gate/results.json for a full run, results-check.json, results-pr.json."""
        name = "results.json" if scope == "full" else f"results-{scope}.json"
        return json.loads((self.root / ".gate" / name).read_text(encoding="utf-8"))

    def meta(self, module: str) -> dict[str, Any]:
        """mutmut's .meta of a source module (e.g. "calc.py")."""
        path = self.root / "mutants" / (self.source_path(module) + ".meta")
        return json.loads(path.read_text(encoding="utf-8"))


def make_project(
    tmp_path: Path,
    *,
    source: dict[str, str] | None = None,
    tests: dict[str, str] | None = None,
    package: str = "pkg",
    layout: str = "flat",
    fail_under: float | None = 80,
    targets: dict[str, list[str]] | None = None,
    gate_extra: str = "",
    mutmut_extra: dict[str, str] | None = None,
    timeout_multiplier: float = 2.0,
) -> Project:
    """Create a project in `tmp_path`: `pkg/` (or `src/pkg/`) with `source` modules, `tests/` with
    `tests`, setup.cfg [mutmut] and pyproject [tool.gate]. Defaults: the calc module and its weak tests."""
    project = Project(root=tmp_path, package=package, layout=layout)
    source = source if source is not None else {"calc.py": CALC_SOURCE}
    tests = tests if tests is not None else {"test_calc.py": CALC_TESTS_WEAK}
    project.write(project.source_path("__init__.py"), "")
    for name, text in source.items():
        project.write(project.source_path(name), text)
    for name, text in tests.items():
        project.write(f"tests/{name}", text)
    source_root = "src" if layout == "src" else package
    mutmut = {
        "source_paths": source_root,
        "pytest_add_cli_args_test_selection": "tests",
        "timeout_multiplier": str(timeout_multiplier),
        "do_not_mutate": project.source_path("__init__.py"),
        **(mutmut_extra or {}),
    }
    cfg = "[mutmut]\n" + "".join(
        f"{key} =\n    " + "\n    ".join(value.split("\n")) + "\n" for key, value in mutmut.items()
    )
    project.write("setup.cfg", cfg)
    if targets is None:
        targets = {"core": [project.source_path(name) for name in source]}
    lines = ["[tool.gate]"]
    if fail_under is not None:
        lines.append(f"fail_under = {fail_under}")
    lines.append('tests = ["tests"]')
    if gate_extra:
        lines.append(gate_extra.strip())
    lines.append("")
    lines.append("[tool.gate.targets]")
    lines += [f"{name} = {json.dumps(paths)}" for name, paths in targets.items()]
    lines += ["", "[tool.pytest.ini_options]", 'testpaths = ["tests"]']
    if layout == "src":
        lines.append('pythonpath = ["src"]')
    lines.append("")
    project.write("pyproject.toml", "\n".join(lines))
    return project
