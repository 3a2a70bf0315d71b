"""mutmut's clean-suite and forced-fail runs are paid once per content of the project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.gate.projects import CALC_TESTS_WEAK, make_project

# Every pytest session of the judging suite writes what mutmut runs it for: "" is the clean run, "fail"
# the forced-fail run, "stats" the stats run, a mutant's name a mutant run. The warm workers' server
# (gate.mutmut.warm, which runs no test itself) is left out.
SESSIONS_CONFTEST = """\
import os
from pathlib import Path


def pytest_sessionstart(session):
    mode = os.environ.get("MUTANT_UNDER_TEST")
    plugins = session.config.pluginmanager.get_plugins()
    if any(type(plugin).__module__ == "gate.mutmut.warm" for plugin in plugins):
        return
    if mode in ("", "fail"):
        root = Path(__file__).resolve().parents[2]  # mutants/tests/conftest.py -> the project
        with open(root / "sessions.log", "a") as log:
            log.write((mode or "clean") + "\\n")
"""


def _sessions(root: Path) -> list[str]:
    path = root / "sessions.log"
    lines = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def _run_named(root: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gate.mutmut.entry", "run", "--max-children", "1", name],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_clean_and_forced_fail_runs_are_skipped_until_a_file_changes(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, tests={"test_calc.py": CALC_TESTS_WEAK, "conftest.py": SESSIONS_CONFTEST}
    )
    proc = project.gate("run", "--quiet", "--no-causes")
    assert proc.returncode == 1, proc.stderr  # the weak suite is under the floor
    # The first run's stats run passed over the whole suite: it stands for the clean run.
    assert _sessions(tmp_path) == ["fail"]

    # Re-testing a mutant on the same files: neither run again.
    _run_named(tmp_path, "pkg.calc.x_grade__mutmut_1")
    assert _sessions(tmp_path) == []
    _run_named(tmp_path, "pkg.calc.x_add__mutmut_1")  # its test is a subset of the clean run's
    assert _sessions(tmp_path) == []

    # A test file changed: both run again, once.
    project.write("tests/test_calc.py", CALC_TESTS_WEAK + "\n\ndef test_more():\n    assert True\n")
    _run_named(tmp_path, "pkg.calc.x_grade__mutmut_1")
    assert _sessions(tmp_path) == ["clean", "fail"]
    _run_named(tmp_path, "pkg.calc.x_grade__mutmut_1")
    assert _sessions(tmp_path) == []
