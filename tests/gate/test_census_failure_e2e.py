"""A census that cannot run fails `gate run`/`check`/`pr` (exit 3, one line) instead of reporting survivors
without their causes; `--no-causes` goes on knowingly and every report says so; `gate doctor` checks it.

The census is broken on purpose through GATE_CENSUS_PLUGIN, which names a plugin module that raises on import.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.gate.git_helpers import GitRepo
from tests.gate.projects import Project, make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

BROKEN = {"GATE_CENSUS_PLUGIN": "broken_census"}
ONE_LINE = re.compile(
    r"gate: error: the mock census could not run \(pytest exit [13]: ImportError: (Error importing plugin "
    r'"broken_census": )?census broken on purpose\); see \.gate/census\.log '
    r"\(or run with --no-causes to go on without causes\)\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = make_project(tmp_path)
    project.write("broken_census.py", "raise ImportError('census broken on purpose')\n")
    return project


@pytest.mark.parametrize("command", [["run"], ["check", "pkg/calc.py"]])
def test_a_census_that_cannot_load_fails_the_run_in_one_line(project: Project, command: list[str]) -> None:
    proc = project.gate(*command, "--no-progress", env=BROKEN)
    assert proc.returncode == 3, proc.stderr
    assert ONE_LINE.fullmatch(proc.stderr), proc.stderr
    assert proc.stdout == ""
    assert not (project.root / ".gate" / "results.json").exists()  # nothing that looks complete
    assert "broken_census" in (project.root / ".gate" / "census.log").read_text()


def test_gate_pr_with_a_broken_census_exits_3(project: Project) -> None:
    repo = GitRepo(project.root)
    repo.commit("base")
    project.write("pkg/calc.py", (project.root / "pkg/calc.py").read_text().replace("x * 2", "x * 3"))
    proc = project.gate("pr", "--base", "main", "--no-progress", env=BROKEN)
    assert proc.returncode == 3, proc.stderr
    assert ONE_LINE.fullmatch(proc.stderr.splitlines(keepends=True)[-1]), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project.root / ".gate" / "pr-comment.md").exists()


def test_no_causes_goes_on_and_every_report_says_so(project: Project) -> None:
    proc = project.gate("run", "--no-progress", "--no-causes", env=BROKEN)
    # The weak suite scores 38.5% (5 of 13) against a floor of 80%: the score decides, not the census.
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "gate: causes not computed: this run skipped the mock census (--no-causes), so no survivor says why"
    )
    assert proc.stdout.rstrip().splitlines()[-1] == "gate: FAILED: score 38.5% is under the floor of 80%"
    report = project.report()
    assert report["causes_computed"] is False
    survivors = [m for m in report["mutants"] if m["status"] == "survived"]
    assert len(survivors) == 6
    assert {m.get("cause") for m in survivors} == {None}

    markdown = project.gate("report", "-f", "markdown")
    lines = markdown.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("### "))
    assert lines[title + 2] == (
        "> **Causes not computed: this run skipped the mock census (--no-causes), so no survivor says why.**"
    )
    html = project.gate("report", "-f", "html").stdout
    assert '<p class="warning" id="no-causes"><b>Causes not computed: this run skipped' in html
    sarif = json.loads(project.gate("report", "-f", "sarif").stdout)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "causes not computed: this run skipped the mock census (--no-causes), so no survivor says why"
    ]
    assert sarif["runs"][0]["properties"]["causesComputed"] is False


def test_doctor_runs_the_census_and_fails_when_it_cannot_load(project: Project) -> None:
    healthy = project.gate("doctor", timeout=300)
    census_line = next(line for line in healthy.stdout.splitlines() if "mock census" in line)
    assert re.fullmatch(
        r"ok    mock census: loads under pytest \d+\.\d+\.\d+\S*: 2 test\(s\), 0 replacement\(s\) seen",
        census_line,
    ), census_line

    broken = project.gate("doctor", env=BROKEN, timeout=300)
    assert broken.returncode == 3, broken.stdout + broken.stderr
    census_line = next(line for line in broken.stdout.splitlines() if "mock census" in line)
    assert census_line.startswith("FAIL  mock census: the mock census could not run (pytest exit ")
    assert census_line.endswith("see .gate/census.log: gate run would exit 3 (or use --no-causes)")
    assert "Traceback" not in broken.stdout + broken.stderr


def test_no_census_runs_when_every_survivor_is_an_accepted_equivalent(project: Project) -> None:
    first = project.gate("run", "--no-progress", "--no-causes", "-f", "json")
    survivors = [m for m in json.loads(first.stdout)["mutants"] if m["status"] in ("survived", "no-tests")]
    assert len(survivors) == 8  # the weak suite: 6 survived, 2 untested
    for mutant in survivors:
        done = project.gate("accept", mutant["id"], "--reason", "equivalent for this test")
        assert done.returncode == 0, done.stderr

    # The census is broken, but no survivor needs a cause: the run is judged without it.
    proc = project.gate("run", "--no-progress", "-f", "json", "--fail-under", "0", env=BROKEN)

    assert proc.returncode == 0, proc.stderr
    statuses = {m["id"]: m["status"] for m in json.loads(proc.stdout)["mutants"]}
    assert {statuses[m["id"]] for m in survivors} == {"accepted"}
    assert not (project.root / ".gate" / "census.log").exists()
