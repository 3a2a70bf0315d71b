"""Line-level test selection in a run: the census started beside mutmut, the ready file that hands it over,
each mutant's line read from the mutated copy as text, and real `gate run`s with and without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.causes import census
from gate.config import load_config
from gate.exit_code import RunError
from gate.mutmut import runner
from gate.mutmut.line_selection import READY, CensusAhead, LineSelection
from gate.mutmut.results import mutant_lines, read_results
from gate.mutmut.selection import for_targets
from gate.mutmut.state import read_meta, status_of
from tests.gate.projects import Project, make_project
from tests.gate.test_line_selection_e2e import SIZE
from tests.gate.test_line_selection_e2e import TESTS as SIZE_TESTS

SHOP = '''\
# A comment above a function: lines count from the def.
def price(cents, rate=2):
    """Docstring."""
    total = (
        cents * rate
    )
    if total > 100:
        return total - 10
    return total


class Basket:
    def __init__(self, items=None):
        self.items = list(items or [])

    # Comments between methods.
    def add(self, item, count=1):
        for _ in range(count):
            self.items.append(item)
        return len(self.items)

    async def size(self):
        return len(self.items) + 0
'''

SHOP_TESTS = """\
import asyncio

from pkg.shop import Basket, price


def test_price():
    assert price(10) == 20


def test_big_price():
    assert price(100) == 190


def test_basket():
    basket = Basket()
    assert basket.add("a", 2) == 2
    assert asyncio.run(basket.size()) == 2
"""


def test_each_mutants_line_read_as_text_is_the_line_the_results_give(tmp_path: Path) -> None:
    make_project(tmp_path, source={"shop.py": SHOP}, tests={"test_shop.py": SHOP_TESTS})
    config = load_config(tmp_path)
    runner.generate(config)
    mutants = read_results(config, for_targets(config))

    lines = mutant_lines(tmp_path, "pkg/shop.py", [m.name for m in mutants])

    assert lines == {m.name: m.line for m in mutants}
    # Every kind of place: defaults (2, 17), the inner line of a statement spanning three (5), a body
    # line under a comment-led def (8), a method (14), an async method (23).
    assert {2, 5, 8, 14, 17, 23} <= set(lines.values())
    assert mutant_lines(tmp_path, "pkg/missing.py", [mutants[0].name]) == {}


def _census_file(root: Path, found: census.Census) -> None:
    (root / census.CACHE).parent.mkdir(parents=True, exist_ok=True)
    (root / census.CACHE).write_text(json.dumps(found.to_json()), encoding="utf-8")


def test_mutmuts_side_waits_for_the_ready_file_then_loads_the_census_it_names(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "size.py").write_text(SIZE, encoding="utf-8")
    recorded = census.Census(
        tests=["t::big"],
        lines={"pkg/size.py": {"t::big": "2-3"}},
        sources=census.source_digests(tmp_path, ["pkg"]),
    )
    _census_file(tmp_path, recorded)
    ready = tmp_path / READY
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:  # the gate's thread ends while mutmut waits
            ready.write_text(json.dumps({"census": str(census.CACHE), "seconds": 2.5}), encoding="utf-8")

    selection, line = LineSelection.wait(tmp_path, ready, ["pkg/size.py"], sleep)

    assert slept == [0.1, 0.1, 0.1]
    assert line == "line-level selection: the census was in after 2.5 s"
    assert selection.census == recorded


def test_a_census_that_could_not_run_or_cannot_be_read_narrows_nothing(tmp_path: Path) -> None:
    ready = tmp_path / READY
    ready.parent.mkdir()
    ready.write_text(json.dumps({"census": None, "why": "pytest exit 4", "seconds": 1.0}), encoding="utf-8")

    selection, line = LineSelection.wait(tmp_path, ready, ["pkg/size.py"], lambda _s: None)

    assert line == "line-level selection off (the census could not run: pytest exit 4)"
    assert selection.choose("pkg.size.x_size__mutmut_1", ["t::big", "t::small"]) is None

    ready.write_text(json.dumps({"census": "missing.json"}), encoding="utf-8")
    selection, line = LineSelection.wait(tmp_path, ready, ["pkg/size.py"], lambda _s: None)
    assert line.startswith("line-level selection off (the census cannot be read: [Errno 2]")
    assert selection.census is None


def test_the_gates_side_writes_the_ready_file_whether_the_census_ran_or_failed(tmp_path: Path) -> None:
    make_project(tmp_path, source={"size.py": SIZE}, tests={"test_size.py": SIZE_TESTS})
    config = load_config(tmp_path)
    stale = tmp_path / READY
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("from an earlier run", encoding="utf-8")

    ahead = CensusAhead(config, collect=lambda: None)
    assert ahead.entry_args() == ["--line-reach", str(tmp_path / READY)]
    ahead.join()
    written = json.loads(stale.read_text(encoding="utf-8"))
    assert written["census"] == str(census.CACHE)
    assert written["seconds"] >= 0

    def failing() -> None:
        raise RunError("the mock census could not run (pytest exit 4: no tests)")

    failed = CensusAhead(config, collect=failing)
    failed.join()
    written = json.loads(stale.read_text(encoding="utf-8"))
    assert written["census"] is None
    assert written["why"] == "the mock census could not run (pytest exit 4: no tests)"


# -- real runs -----------------------------------------------------------------------------------------------


def _verdicts(project: Project, file: str) -> dict[str, str]:
    meta = read_meta(project.root, file)
    assert meta is not None
    return {name: str(status_of(code)) for name, code in meta.exit_code_by_key.items()}


def _log(project: Project) -> str:
    return (project.root / ".gate" / "mutmut.log").read_text(encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.census
def test_a_run_narrows_each_mutant_to_the_tests_of_its_line_with_the_same_verdicts(tmp_path: Path) -> None:
    whole = make_project(
        tmp_path / "whole",
        source={"size.py": SIZE},
        tests={"test_size.py": SIZE_TESTS},
        fail_under=0,
        gate_extra="line_selection = false",
    )
    narrow = make_project(
        tmp_path / "narrow", source={"size.py": SIZE}, tests={"test_size.py": SIZE_TESTS}, fail_under=0
    )

    for project in (whole, narrow):
        proc = project.gate("run", "-q", timeout=180)
        assert proc.returncode == 0, proc.stderr

    assert _verdicts(narrow, "pkg/size.py") == _verdicts(whole, "pkg/size.py")
    assert "line-level selection" not in _log(whole)
    log = _log(narrow)
    assert "line-level selection: the census was in after " in log
    # Lines 3 and 4 (one branch each) reach fewer tests than the function: their mutants get 1 or 2 of 3.
    summary = next(line for line in log.splitlines() if " mutants narrowed, " in line)
    report = json.loads((narrow.root / ".gate" / "results.json").read_text(encoding="utf-8"))["mutants"]
    on_branches = [m for m in report if m["line"] in (3, 4)]
    assert on_branches
    assert summary.startswith(f"line-level selection: {len(on_branches)} of {len(report)} mutants narrowed, ")
    assert json.loads((narrow.root / READY).read_text(encoding="utf-8"))["census"] == str(census.CACHE)


@pytest.mark.e2e
def test_without_causes_no_census_runs_and_nothing_is_narrowed(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, source={"size.py": SIZE}, tests={"test_size.py": SIZE_TESTS}, fail_under=0
    )

    proc = project.gate("run", "-q", "--no-causes", timeout=180)

    assert proc.returncode == 0, proc.stderr
    assert "line-level selection" not in _log(project)
    assert not (project.root / READY).exists()
    assert not (project.root / census.CACHE).exists()


@pytest.mark.e2e
@pytest.mark.census
def test_a_census_that_cannot_load_leaves_every_test_to_each_mutant(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, source={"size.py": SIZE}, tests={"test_size.py": SIZE_TESTS}, fail_under=0
    )
    project.write("broken_census.py", "raise ImportError('census broken on purpose')\n")

    proc = project.gate("run", "-q", env={"GATE_CENSUS_PLUGIN": "broken_census"}, timeout=180)

    # mutmut tested every mutant with its function's tests; the survivors' causes then need the census,
    # and the run fails on it in one line, as it always did.
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("gate: error: the mock census could not run (pytest exit ")
    assert len(proc.stderr.splitlines()) == 1
    meta = read_meta(project.root, "pkg/size.py")
    assert meta is not None
    assert None not in meta.exit_code_by_key.values()  # every mutant got its verdict first
    assert "line-level selection off (the census could not run: the mock census could not run" in _log(
        project
    )
    assert " mutants narrowed, " not in _log(project)
