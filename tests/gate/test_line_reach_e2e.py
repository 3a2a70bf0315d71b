"""End-to-end line reach: the real `gate run` with real mutmut on a project whose tests enter functions but
skip some of their branches. A survivor on a line no test executes is `line-not-run` (with the branch that
guards it), not a weak assertion; signature lines count as run by every test entering the function.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.gate.projects import Project, make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

NET = """\
def is_ssl_error(error):
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return True
    return False


def retry_delay(attempt, base=2):
    return base * attempt


def parse_port(text):
    try:
        return int(text)
    except ValueError:
        return 0


def sign(x):
    if x > 0:
        return "+"
    else:
        return "-"
"""

TESTS = """\
from pkg.net import is_ssl_error, parse_port, retry_delay, sign


def test_a_stall_is_not_an_ssl_error():
    assert is_ssl_error(TimeoutError("stalled")) is False


def test_retry_delay_grows():
    assert retry_delay(3, base=2) == 6


def test_parse_port():
    assert parse_port("80") == 80


def test_sign_of_a_positive_number():
    assert sign(5) == "+"
"""

T = "tests/test_net.py::"
WEAK = "weak-assertion"
NOT_RUN = "line-not-run"


def hint(function: str, line: int, where: str) -> str:
    return f"the tests that run `{function}` never reach line {line} ({where}): add a test for that branch"


SIGN_WEAK = "make `test_sign_of_a_positive_number` check the effect of `if x > 0:` exactly: it passes when that line changes"
# (line, diff's added line) -> (cause, hint) of every survivor.
EXPECTED = {
    (2, "text = str(None)"): (
        WEAK,
        "make `test_a_stall_is_not_an_ssl_error` check the effect of `text = str(error)` exactly: "
        "it passes when that line changes",
    ),
    (3, 'if "certificate_verify_failed" in text:'): (
        WEAK,
        "make `test_a_stall_is_not_an_ssl_error` check the effect of "
        '`if "CERTIFICATE_VERIFY_FAILED" in text:` exactly: it passes when that line changes',
    ),
    (3, 'if "XXCERTIFICATE_VERIFY_FAILEDXX" in text:'): (
        WEAK,
        "make `test_a_stall_is_not_an_ssl_error` check the effect of "
        '`if "CERTIFICATE_VERIFY_FAILED" in text:` exactly: it passes when that line changes',
    ),
    # The example: the branch no test enters.
    (4, "return False"): (
        NOT_RUN,
        hint("is_ssl_error", 4, 'under `if "CERTIFICATE_VERIFY_FAILED" in text:`, line 3'),
    ),
    # A default argument is evaluated at import: the line counts as run by the test entering the function.
    (8, "def retry_delay(attempt, base=3):"): (
        WEAK,
        "make `test_retry_delay_grows` check the effect of `def retry_delay(attempt, base=2):` exactly: "
        "it passes when that line changes",
    ),
    (16, "return 1"): (NOT_RUN, hint("parse_port", 16, "under `except ValueError:`, line 15")),
    (20, "if x > 1:"): (WEAK, SIGN_WEAK),
    (20, "if x >= 0:"): (WEAK, SIGN_WEAK),
    (23, 'return "XX-XX"'): (NOT_RUN, hint("sign", 23, "the `else` of `if x > 0:`, line 20")),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Any]]:
    project = make_project(
        tmp_path_factory.mktemp("reach"),
        source={"net.py": NET},
        tests={"test_net.py": TESTS},
        fail_under=0,
    )
    proc = project.gate("run", "-f", "json", "--no-progress", timeout=180)
    assert proc.returncode == 0, proc.stderr
    return project, json.loads(proc.stdout)


def added(diff: str) -> str:
    return next(line[1:].strip() for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+")


def test_each_survivor_is_weak_only_where_a_test_runs_its_line(run: tuple[Project, dict[str, Any]]) -> None:
    found = {
        (m["line"], added(m["diff"])): (m["cause"], m["hint"])
        for m in run[1]["mutants"]
        if m["status"] == "survived"
    }
    assert found == EXPECTED


def test_the_text_report_has_a_section_for_lines_not_run(run: tuple[Project, dict[str, Any]]) -> None:
    text = run[0].gate("report", "--details").stdout
    lines = text.splitlines()
    assert "Surviving mutants (9): 6 weak-assertion, 3 line-not-run" in lines
    heading = "Lines not run: tests enter these functions but never reach the mutated line (3)"
    assert heading in lines
    section = lines[lines.index(heading) :]
    assert [line.strip() for line in section if line.strip().startswith("pkg/net.py:")] == [
        "pkg/net.py:4  survived, line-not-run  id " + _id(run[1], 4),
        "pkg/net.py:16  survived, line-not-run  id " + _id(run[1], 16),
        "pkg/net.py:23  survived, line-not-run  id " + _id(run[1], 23),
    ]


def _id(report: dict[str, Any], line: int) -> str:
    return next(m["id"] for m in report["mutants"] if m["line"] == line and m["status"] == "survived")


def test_line_reach_is_cached_with_the_census_and_refreshed_by_a_body_edit(
    run: tuple[Project, dict[str, Any]],
) -> None:
    project = run[0]
    cache = json.loads((project.root / ".gate" / "census.json").read_text())
    assert cache["lines"] == {
        "pkg/net.py": {
            T + "test_a_stall_is_not_an_ssl_error": "2-3,5",
            T + "test_parse_port": "13-14",
            T + "test_retry_delay_grows": "9",
            T + "test_sign_of_a_positive_number": "20-21",
        }
    }
    log = project.root / ".gate" / "census.log"
    log.unlink()
    assert project.gate("report").returncode == 0
    assert project.gate("run", "--no-progress", timeout=180).returncode == 0
    assert not log.exists()  # nothing changed: served from .gate/census.json

    # A test that enters the `else` branch: the census runs again, and the line is now run (and killed).
    project.write("tests/test_net.py", TESTS + '\n\ndef test_sign_of_zero():\n    assert sign(0) == "-"\n')
    proc = project.gate("run", "-f", "json", "--no-progress", timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert log.exists()
    again = json.loads((project.root / ".gate" / "census.json").read_text())
    assert again["lines"]["pkg/net.py"][T + "test_sign_of_zero"] == "20,23"
    assert [m["line"] for m in json.loads(proc.stdout)["mutants"] if m["cause"] == NOT_RUN] == [4, 16]

    # A comment above the functions leaves their shape but moves every line: the line reach is recorded again.
    log.unlink()
    project.write("pkg/net.py", "# network helpers\n" + NET)
    proc = project.gate("run", "-f", "json", "--no-progress", timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert log.exists()
    assert [m["line"] for m in json.loads(proc.stdout)["mutants"] if m["cause"] == NOT_RUN] == [5, 17]
