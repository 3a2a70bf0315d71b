"""`gate doctor` on a failing clean suite shows why it fails (pytest's first error lines), not only its
summary line: the real command on generated projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gate.projects import make_project

pytestmark = pytest.mark.e2e


def _clean_suite_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FAIL  clean suite"))
    return lines[start:]


def test_a_test_module_that_cannot_import_shows_the_error(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.write("tests/test_broken.py", "import notthere\n")
    proc = project.gate("doctor")
    assert proc.returncode == 3
    head, error = _clean_suite_lines(proc.stdout)
    assert head.startswith("FAIL  clean suite: python -m pytest tests fails: 1 error in ")
    assert error == "      E   ModuleNotFoundError: No module named 'notthere'"


def test_a_pytest_usage_error_shows_pytests_own_lines(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.write("pytest.ini", "[pytest]\naddopts = --no-such-option\n")
    proc = project.gate("doctor")
    assert proc.returncode == 3
    assert _clean_suite_lines(proc.stdout)[:3] == [
        "FAIL  clean suite: python -m pytest tests fails: exit 4",
        "      ERROR: usage: python -m pytest [options] [file_or_dir] [file_or_dir] [...]",
        "      python -m pytest: error: unrecognized arguments: --no-such-option",
    ]
