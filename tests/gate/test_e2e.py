"""End-to-end: the real `gate` command and real mutmut on small projects built in tmp_path."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.gate.projects import CALC_SOURCE, CALC_TESTS_STRONG, CALC_TESTS_WEAK, Project, make_project
from tests.gate.run_watch import processes_in

pytestmark = pytest.mark.e2e

GRADE_LINE = CALC_SOURCE.splitlines().index("    if score >= 90:") + 1


def _by_status(report: dict, status: str) -> list[dict]:
    return [m for m in report["mutants"] if m["status"] == status]


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_all_killed_passes_with_score_100(tmp_path: Path) -> None:
    project = make_project(tmp_path, tests={"test_calc.py": CALC_TESTS_STRONG})

    proc = project.gate("run", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["schema"] == "gate-report/1"
    assert report["summary"]["score"] == 100.0
    assert report["summary"]["killed"] == report["summary"]["total"] == 13
    assert report["targets"]["core"]["score"] == 100.0
    assert {m["function"] for m in report["mutants"]} == {"add", "grade", "untested"}
    assert [(b["function"], b["line"]) for b in report["blind_spots"]] == [("label", 20)]
    assert project.report() == report  # .gate/results.json holds the same report


def test_survivors_under_the_floor_fail_with_file_line_and_diff(tmp_path: Path) -> None:
    project = make_project(tmp_path, tests={"test_calc.py": CALC_TESTS_WEAK}, fail_under=80)

    proc = project.gate("run", "-f", "json", "--no-progress")

    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["survived"] == 6
    assert report["summary"]["no_tests"] == 2
    assert report["summary"]["score"] == pytest.approx(38.5)
    boundary = [m for m in _by_status(report, "survived") if "+    if score > 90:" in m["diff"]]
    assert len(boundary) == 1
    mutant = boundary[0]
    assert (mutant["file"], mutant["line"], mutant["function"]) == ("pkg/calc.py", GRADE_LINE, "grade")
    assert "-    if score >= 90:" in mutant["diff"]
    assert mutant["tests"] == ["tests/test_calc.py::test_grade_far_from_boundaries"]
    source_lines = (tmp_path / "pkg" / "calc.py").read_text().splitlines()
    for survivor in _by_status(report, "survived") + _by_status(report, "no-tests"):
        removed = [
            ln[1:].strip() for ln in survivor["diff"].splitlines() if ln.startswith("-") and ln[1:2] != "-"
        ]
        assert source_lines[survivor["line"] - 1].strip() == removed[0]
    text = project.gate("report", "--details").stdout
    assert f"pkg/calc.py:{GRADE_LINE}  survived" in text
    assert "gate: FAILED: score 38.5% is under the floor of 80%" in text


def test_failing_clean_suite_is_exit_3_with_one_line(tmp_path: Path) -> None:
    broken = CALC_TESTS_STRONG + "\n\ndef test_broken():\n    assert add(1, 1) == 3\n"
    project = make_project(tmp_path, tests={"test_calc.py": broken})

    proc = project.gate("run", "--no-progress")

    assert proc.returncode == 3
    line = _one_line_error(proc.stderr)
    assert line.startswith("gate: error: the test suite fails without any mutation")
    assert ".gate/mutmut.log" in line
    assert not (tmp_path / ".gate" / "results.json").exists()


def test_bad_config_is_exit_2_naming_key_and_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, gate_extra='max_children = "many"')

    proc = project.gate("run")

    assert proc.returncode == 2
    line = _one_line_error(proc.stderr)
    assert "pyproject.toml" in line and "max_children" in line and "'many'" in line
    assert not (tmp_path / "mutants").exists()


def test_check_after_editing_one_function_retests_only_it(tmp_path: Path) -> None:
    project = make_project(tmp_path, tests={"test_calc.py": CALC_TESTS_STRONG})
    assert project.gate("run", "-q").returncode == 0
    before = project.meta("calc.py")
    project.write("pkg/calc.py", CALC_SOURCE.replace("return a + b", "total = a + b\n    return total"))

    proc = project.gate("check", "pkg/calc.py", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    retested = sorted(m["name"] for m in report["mutants"] if not m.get("reused"))
    assert retested and all(".x_add__mutmut_" in name for name in retested)
    assert report["retested"] == len(retested)
    assert report["reused"] == report["summary"]["total"] - len(retested)
    after = project.meta("calc.py")
    for name, duration in before["durations_by_key"].items():
        if ".x_add__" not in name:
            assert after["durations_by_key"][name] == duration  # not run again


def test_check_right_after_strengthening_a_test_shows_the_survivor_gone(tmp_path: Path) -> None:
    project = make_project(tmp_path, tests={"test_calc.py": CALC_TESTS_WEAK})
    first = json.loads(project.gate("run", "--json", "-q").stdout or "{}") or project.report()
    survivor_ids = {
        m["id"] for m in first["mutants"] if m["function"] == "grade" and m["status"] == "survived"
    }
    assert len(survivor_ids) == 6
    project.write("tests/test_calc.py", CALC_TESTS_STRONG)

    proc = project.gate("check", "pkg.calc:grade", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    statuses = {m["id"]: m["status"] for m in report["mutants"]}
    assert {statuses[i] for i in survivor_ids} == {"killed"}
    assert report["summary"]["survived"] == 0
    # untested() had no tests; the strong suite now runs it: the stale "no tests" verdict must go too.
    proc = project.gate("check", "pkg.calc:untested", "--json", "--no-progress")
    assert {m["status"] for m in json.loads(proc.stdout)["mutants"]} == {"killed"}


SLOW_SOURCE = "".join(f"\n\ndef f{i}(x):\n    return x + {i}\n" for i in range(1, 9))
SLOW_TESTS = "import time\n\nfrom pkg import slow\n" + "".join(
    f"\n\ndef test_f{i}():\n    time.sleep(0.2)\n    assert slow.f{i}(1) == {1 + i}\n" for i in range(1, 9)
)


def _decided(project: Project) -> dict[str, int]:
    try:
        codes = project.meta("slow.py")["exit_code_by_key"]
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {name: code for name, code in codes.items() if code is not None}


def test_sigterm_keeps_verdicts_and_the_next_run_resumes(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        source={"slow.py": SLOW_SOURCE},
        tests={"test_slow.py": SLOW_TESTS},
        gate_extra="max_children = 1",
    )
    running = project.popen_gate("run", "--no-progress")
    deadline = time.monotonic() + 60
    while len(_decided(project)) < 3 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.1)
    assert running.poll() is None, running.communicate()
    second = project.gate("run", "-q")  # while the first one runs
    assert second.returncode == 3
    assert "another gate run is in progress" in _one_line_error(second.stderr)

    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=30)

    assert running.returncode == 143, stderr  # 128 + SIGTERM
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert processes_in(tmp_path) == []  # no mutmut worker outlives the run
    kept = _decided(project)
    total = len(project.meta("slow.py")["exit_code_by_key"])
    assert 3 <= len(kept) < total
    proc = project.gate("run", "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["killed"] == total
    assert report["reused"] == len(kept)
    assert report["retested"] == total - len(kept)
    reused = {m["name"] for m in report["mutants"] if m.get("reused")}
    assert reused == set(kept)
    assert {name: code for name, code in _decided(project).items() if name in kept} == kept


def test_a_gate_started_with_sigint_ignored_still_stops_mutmut_at_once_on_sigterm(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        source={"slow.py": SLOW_SOURCE},
        tests={"test_slow.py": SLOW_TESTS.replace("time.sleep(0.2)", "time.sleep(0.5)")},
        gate_extra="max_children = 1",
    )
    running = project.popen_gate("run", "--no-progress", ignore_sigint=True)
    deadline = time.monotonic() + 60
    while len(_decided(project)) < 3 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.1)
    assert running.poll() is None, running.communicate()

    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=30)

    assert running.returncode == 143, stderr
    # mutmut stopped at the gate's SIGINT, not after its grace period: the rest had no time to run.
    assert 3 <= len(_decided(project)) < len(project.meta("slow.py")["exit_code_by_key"])
    assert processes_in(tmp_path) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_writes_the_partial_report_to_its_output(tmp_path: Path, stop: int) -> None:
    # SIGINT leaves a JSON report, SIGTERM (a CI timeout) a text one: both partial, neither judged.
    fmt = "json" if stop == signal.SIGINT else "text"
    project = make_project(
        tmp_path,
        source={"slow.py": SLOW_SOURCE},
        tests={"test_slow.py": SLOW_TESTS},
        gate_extra="max_children = 1",
    )
    running = project.popen_gate("run", "--no-progress", "-f", fmt, "-o", f"report.{fmt}")
    deadline = time.monotonic() + 60
    while len(_decided(project)) < 3 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.1)
    assert running.poll() is None, running.communicate()

    running.send_signal(stop)
    _, stderr = running.communicate(timeout=30)

    assert running.returncode == (130 if stop == signal.SIGINT else 143), stderr  # 128 + the signal
    assert stderr.splitlines()[-2:] == [
        f"gate: partial report written to report.{fmt}",
        "gate: interrupted; verdicts reached so far are kept",
    ]
    kept = _decided(project)
    total = len(project.meta("slow.py")["exit_code_by_key"])
    assert not (project.root / ".gate" / "results.json").exists()
    if fmt == "text":
        lines = (project.root / "report.text").read_text().splitlines()
        assert lines[0] == (
            "gate: partial report: the run was interrupted; mutants without a verdict are listed as not checked"
        )
        assert f"Not checked (run interrupted; the next run resumes them): {total - len(kept)}" in lines
        assert not [line for line in lines if line.startswith(("gate: passed", "gate: FAILED"))]
        return
    report = json.loads((project.root / "report.json").read_text())
    assert report["partial"] is True
    assert (report["summary"]["total"], report["summary"]["killed"]) == (total, len(kept))
    assert report["summary"]["not_checked"] == total - len(kept)
    assert {m["name"] for m in report["mutants"] if m["status"] == "killed"} == set(kept)


def test_src_layout_package(tmp_path: Path) -> None:
    project = make_project(tmp_path, layout="src", tests={"test_calc.py": CALC_TESTS_WEAK})

    proc = project.gate("run", "--json", "--no-progress")

    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {m["file"] for m in report["mutants"]} == {"src/pkg/calc.py"}
    assert all(m["name"].startswith("pkg.calc.") for m in report["mutants"])
    boundary = [m for m in report["mutants"] if "+    if score > 90:" in m["diff"]]
    assert boundary[0]["line"] == GRADE_LINE and boundary[0]["status"] == "survived"


SHOP_SOURCE = """\
def total(prices):
    result = 0
    for price in prices:
        result += price
    return result
"""

# The same behaviour, with the addition moved into a new function that only `total` calls.
SHOP_SOURCE_EXTRACTED = """\
def add(a, b):
    return a + b


def total(prices):
    result = 0
    for price in prices:
        result = add(result, price)
    return result
"""

SHOP_TESTS = """\
from pkg.shop import total


def test_total():
    assert total([1, 2, 3]) == 6
    assert total([]) == 0
"""


def test_code_moved_into_a_new_function_is_linked_to_the_unchanged_tests_that_run_it(tmp_path: Path) -> None:
    # mutmut records which tests reach which function once per test: without re-mapping, `add` would
    # look untested although test_total runs it.
    project = make_project(tmp_path, source={"shop.py": SHOP_SOURCE}, tests={"test_shop.py": SHOP_TESTS})
    assert project.gate("run", "-q").returncode == 0
    project.write("pkg/shop.py", SHOP_SOURCE_EXTRACTED)

    proc = project.gate("check", "pkg/shop.py", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    added = [m for m in report["mutants"] if m["function"] == "add"]
    assert added
    assert {m["status"] for m in added} == {"killed"}
    assert {tuple(m["tests"]) for m in added} == {("tests/test_shop.py::test_total",)}


def test_tests_forgotten_after_a_source_edit_are_mapped_again_even_when_nothing_is_retested(
    tmp_path: Path,
) -> None:
    project = make_project(
        tmp_path,
        source={"shop.py": SHOP_SOURCE, "calc.py": CALC_SOURCE},
        tests={"test_shop.py": SHOP_TESTS, "test_calc.py": CALC_TESTS_STRONG},
    )
    assert project.gate("run", "-q").returncode == 0
    project.write("pkg/shop.py", SHOP_SOURCE_EXTRACTED)

    # Only calc.py is checked: none of its mutants is stale, so nothing is re-tested.
    proc = project.gate("check", "pkg/calc.py", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["retested"] == 0
    stats = json.loads((tmp_path / "mutants" / "mutmut-stats.json").read_text(encoding="utf-8"))
    assert "tests/test_shop.py::test_total" in stats["duration_by_test"]
    assert stats["tests_by_mangled_function_name"]["pkg.shop.x_add"] == ["tests/test_shop.py::test_total"]


def test_an_edited_test_is_mapped_again_even_when_nothing_is_retested(tmp_path: Path) -> None:
    project = make_project(tmp_path, source={"shop.py": SHOP_SOURCE}, tests={"test_shop.py": SHOP_TESTS})
    assert project.gate("run", "-q").returncode == 0
    project.write(
        "tests/test_shop.py", SHOP_TESTS + "\n\ndef test_one_price():\n    assert total([5]) == 5\n"
    )

    proc = project.gate("check", "pkg/shop.py", "--json", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["retested"] == 0  # every mutant was killed: nothing to re-test
    stats = json.loads((tmp_path / "mutants" / "mutmut-stats.json").read_text(encoding="utf-8"))
    assert sorted(stats["tests_by_mangled_function_name"]["pkg.shop.x_total"]) == [
        "tests/test_shop.py::test_one_price",
        "tests/test_shop.py::test_total",
    ]
