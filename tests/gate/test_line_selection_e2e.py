"""End-to-end line-level test selection: from the census's line reach each mutant gets only the tests that
execute its mutated line; real mutmut, through the entry's ``--tests-by-mutant``, gives every mutant the
verdict it gets with the whole function's tests, and does run the narrowed selection.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate.causes.census import CACHE, Census
from gate.causes.reach import Reach, select_tests
from gate.model import Mutant
from gate.mutmut.state import read_meta, status_of
from tests.gate.projects import Project, make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

SIZE = """\
def size(x, unit="b"):
    if x > 100:
        return "big" + unit
    return "small" + unit
"""

TESTS = """\
from pkg.size import size


def test_big():
    assert size(500) == "bigb"


def test_small():
    assert size(1) == "smallb"


def test_small_in_kilobytes():
    assert size(2, unit="k") == "smallk"
"""
T = "tests/test_size.py::"
FILE = "pkg/size.py"


def verdicts(project: Project) -> dict[str, str]:
    meta = read_meta(project.root, FILE)
    assert meta is not None
    return {name: str(status_of(code)) for name, code in meta.exit_code_by_key.items()}


def rerun(project: Project, names: list[str], selection: dict[str, list[str]], tmp: Path) -> dict[str, str]:
    path = tmp / "selection.json"
    path.write_text(json.dumps(selection))
    command = [sys.executable, "-m", "gate.mutmut.entry", "--tests-by-mutant", str(path), "run", *names]
    proc = subprocess.run(command, cwd=project.root, capture_output=True, text=True, env=project.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return verdicts(project)


def test_line_level_selection_keeps_every_verdict(tmp_path: Path) -> None:
    # The run itself tests every mutant with its function's tests: the baseline the selection is held to.
    project = make_project(
        tmp_path / "p",
        source={"size.py": SIZE},
        tests={"test_size.py": TESTS},
        gate_extra="line_selection = false",
    )
    proc = project.gate("run", "-f", "json", "--no-progress", "--fail-under", "0", timeout=180)
    assert proc.returncode == 0, proc.stderr
    mutants = [Mutant.from_json(m) for m in json.loads(proc.stdout)["mutants"]]
    by_function = verdicts(project)
    census = Census.from_json(json.loads((project.root / CACHE).read_text()))
    selected = select_tests(mutants, Reach.load(census, project.root, [FILE]))
    # By line: the signature's default serves every test entering `size`; each return only its branch's tests.
    by_line = {
        line: sorted({tuple(sorted(selected[m.name])) for m in mutants if m.line == line})
        for line in sorted({m.line for m in mutants})
    }
    everyone = (T + "test_big", T + "test_small", T + "test_small_in_kilobytes")
    assert by_line == {
        1: [everyone],
        2: [everyone],
        3: [(T + "test_big",)],
        4: [(T + "test_small", T + "test_small_in_kilobytes")],
    }
    names = [m.name for m in mutants]
    assert rerun(project, names, selected, tmp_path) == by_function

    # The selection is what mutmut runs: give the `big` branch's mutants only a test that never reaches
    # them, and they survive.
    big = [m.name for m in mutants if m.line == 3]
    assert {by_function[name] for name in big} == {"killed"}
    wrong = {name: [T + "test_small"] for name in big}
    assert {rerun(project, big, wrong, tmp_path)[name] for name in big} == {"survived"}
