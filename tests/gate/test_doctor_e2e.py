"""`gate doctor` on a failing clean suite shows why it fails (pytest's first error lines), not only its
summary line: the real command on generated projects."""

from __future__ import annotations

import os
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


def test_quick_estimate_counts_a_sample_and_says_so_then_full_is_exact(tmp_path: Path) -> None:
    # 20 modules of one function each (3 mutants a module): the quick estimate counts 12 of them.
    source = {f"m{i:02d}.py": "def f(a, b):\n    return a + b * 2\n" for i in range(20)}
    tests = {"test_m.py": "".join(f"from pkg.m{i:02d} import f as f{i}\n" for i in range(20))}
    tests["test_m.py"] += "\n\ndef test_all():\n" + "".join(
        f"    assert f{i}(1, 2) == 5\n" for i in range(20)
    )
    project = make_project(tmp_path, source=source, tests=tests)
    quick = project.gate("doctor")
    assert quick.returncode == 0, quick.stdout + quick.stderr
    assert quick.stdout.splitlines()[-2:] == [
        "estimate: about 60 mutants in the targets (an estimate: parsed 12 of 20 files, the rest by their lines)",
        "estimate: run time not known until mutmut has mapped the tests (`gate doctor --full` maps them "
        "and runs mutmut's forced-fail check; it generates every mutant)",
    ]
    assert not (tmp_path / "mutants").exists()  # counting writes no mutant
    full = project.gate("doctor", "--full", timeout=300)
    assert full.returncode == 0, full.stdout + full.stderr
    lines = full.stdout.splitlines()
    assert "ok    mutmut forced-fail: the tests fail when every mutated function raises" in lines
    assert lines[-1].startswith("estimate: 60 mutants in the targets (60 without a verdict), about ")
    again = project.gate("doctor")  # mutmut's mapping now exists: the quick estimate is timed too
    assert again.stdout.splitlines()[-1].startswith("estimate: about ")
    # The default: one worker more than the machine has cores.
    assert again.stdout.splitlines()[-1].endswith(
        f"s of testing for a full run with {(os.cpu_count() or 1) + 1} workers (plus timeouts), "
        "from mutmut's test mapping of the last run"
    )
