"""Time limits from the tests' own baselines: a mutant waits its tests' durations x factor + a constant."""

from __future__ import annotations

import json
from pathlib import Path

from gate.mutmut.limits import baseline_limit
from tests.gate.projects import make_project

LOOP = """\
def countdown(n):
    while n > 0:
        n -= 1
    return n
"""

LOOP_TESTS = """\
from pkg.loop import countdown


def test_countdown():
    assert countdown(3) == 0
"""


def test_the_limit_is_the_sum_of_the_tests_durations_times_the_factor_plus_the_constant() -> None:
    durations = {"t::a": 0.5, "t::b": 0.25, "t::slow": 30.0}
    assert baseline_limit(["t::a", "t::b"], durations, 3.0, 1.0) == 3.25
    assert baseline_limit([], durations, 3.0, 1.0) == 1.0
    # A test the stats do not know (forgotten after an edit) adds nothing rather than failing the run.
    assert baseline_limit(["t::a", "t::new"], durations, 2.0, 0.5) == 1.5


def test_a_hanging_mutant_ends_as_timeout_under_the_baseline_limit(tmp_path: Path) -> None:
    project = make_project(tmp_path, source={"loop.py": LOOP}, tests={"test_loop.py": LOOP_TESTS})
    proc = project.gate("run", "--json", "--no-causes")
    report = json.loads(proc.stdout)
    by_diff = {
        next(line for line in m["diff"].splitlines() if line.startswith("+ "))[1:].strip(): m["status"]
        for m in report["mutants"]
    }
    # n += 1 never ends; the limit is test_countdown's duration x 2 + 1 s x 2.
    assert by_diff == {
        "n += 1": "timeout",
        "n = 1": "timeout",
        "n -= 2": "killed",
        "while n > 1:": "killed",
        "while n >= 0:": "killed",
    }


def test_a_mutant_that_hangs_computing_ends_at_its_cpu_limit_not_the_wall_limit(tmp_path: Path) -> None:
    # A wall-clock constant of 10 minutes: only the CPU-time limit (the test's measured CPU time x 2 +
    # 0.25 s) can end the two spinning mutants before the gate's own 5-minute budget runs out.
    project = make_project(
        tmp_path,
        source={"loop.py": LOOP},
        tests={"test_loop.py": LOOP_TESTS},
        mutmut_extra={"timeout_constant": "600"},
    )
    proc = project.gate("run", "--json", "--no-causes", timeout=300)
    report = json.loads(proc.stdout)
    statuses = {
        next(line for line in m["diff"].splitlines() if line.startswith("+ "))[1:].strip(): m["status"]
        for m in report["mutants"]
    }
    assert statuses["n += 1"] == "timeout"
    assert statuses["n = 1"] == "timeout"
    measured = json.loads((project.root / ".gate" / "phases.json").read_text(encoding="utf-8"))
    assert set(measured["cpu"]) == {"tests/test_loop.py::test_countdown"}
