"""The text report's digest at scale (summary first, the functions with the most survivors, about two
screens for any run), `--details` and `gate show` on the results of a real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate.exit_code import ConfigError
from gate.pipeline import render
from gate.results import find_mutants, write_results
from tests.gate.large_results import large_run


def test_a_run_of_thousands_of_survivors_fits_two_screens() -> None:
    result = large_run()
    survivors = len(result.survivors())
    assert (len(result.mutants), survivors) == (6000, 2300)
    lines = render(result, "text", details=False).splitlines()
    assert len(lines) <= 120
    assert len(lines) == 56
    assert lines[:10] == [
        "gate all: 6000 mutants in 3 targets (t0, t1, t2), 0.0 s (0 re-tested, 0 re-used)",
        "",
        "t0       score 61.7%  covered 61.7%  killed 1258  survived 782  no-tests 0  timeout 0  total 2040  "
        "floor 80%",
        "         causes: hidden-by-mock 374, weak-assertion 255, untested 153",
        "t1       score 61.7%  covered 61.7%  killed 1258  survived 782  no-tests 0  timeout 0  total 2040",
        "         causes: hidden-by-mock 374, weak-assertion 255, untested 153",
        "t2       score 61.7%  covered 61.7%  killed 1184  survived 736  no-tests 0  timeout 0  total 1920",
        "         causes: hidden-by-mock 352, weak-assertion 240, untested 144",
        "overall  score 61.7%  covered 61.7%  killed 3700  survived 2300  no-tests 0  timeout 0  total 6000  "
        "floor 50%",
        "         causes: hidden-by-mock 1100, weak-assertion 750, untested 450",
    ]
    # Most survivors first; ties by file, then by line.
    assert lines[11:16] == [
        "Functions with the most survivors (40 of 800, 2300 survivors)",
        "  survivors  function  where             tests  causes",
        "          5  f05       pkg/mod00.py:51       1  hidden-by-mock 2, weak-assertion 2, untested 1",
        "          5  f11       pkg/mod00.py:111      3  hidden-by-mock 2, weak-assertion 2, untested 1",
        "          5  f17       pkg/mod00.py:171      1  hidden-by-mock 2, weak-assertion 2, untested 1",
    ]
    assert lines[-4:] == [
        "          5  f05       pkg/mod13.py:51       1  hidden-by-mock 2, weak-assertion 2, untested 1",
        "  +760 more functions; `gate show FUNCTION` or `gate show ID` for one, `--details` for all the evidence",
        "",
        "gate: FAILED: target t0: score 61.7% is under its floor of 80%",
    ]


def test_details_is_the_full_evidence() -> None:
    result = large_run(files=1, functions=3)
    text = render(result, "text", details=True)
    assert "Surviving mutants (3): 2 hidden-by-mock, 1 weak-assertion" in text
    assert text.count("        - return a\n        + return b\n") == 3


def test_find_mutants_by_id_prefix_function_and_dotted_name() -> None:
    result = large_run(files=2, functions=3)
    assert [m.id for m in find_mutants(result, "010201")] == ["010201aaaa"]
    assert [m.id for m in find_mutants(result, "pkg.mod01.f02")] == ["010200aaaa", "010201aaaa"]
    assert [m.id for m in find_mutants(result, "f01")] == ["000100aaaa", "010100aaaa"]
    assert [m.id for m in find_mutants(result, "f00")][:2] == ["000000aaaa", "000001aaaa"]  # no survivor: all
    with pytest.raises(ConfigError, match=r"id '0102' is ambiguous: 010200aaaa, 010201aaaa, "):
        find_mutants(result, "0102")
    with pytest.raises(ConfigError, match=r"^no mutant id or function 'nope' in the last results"):
        find_mutants(result, "nope")


def test_gate_show_and_report_details_from_the_last_results(tmp_path: Path) -> None:
    write_results(tmp_path, large_run(files=1, functions=3))

    def gate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gate", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    shown = gate("show", "f02")
    assert shown.returncode == 0
    assert shown.stdout.splitlines() == [
        "pkg/mod00.py  `f02`: 6 mutants, 2 survive; run by 2 tests, replaced in 0",
        "      pkg/mod00.py:21  survived, hidden-by-mock  id 000200aaaa",
        "        - return a",
        "        + return b",
        "        run by: tests/test_0.py::test_0, tests/test_0.py::test_1",
        "      pkg/mod00.py:22  survived, weak-assertion  id 000201aaaa",
        "        - return a",
        "        + return b",
        "        run by: tests/test_0.py::test_0, tests/test_0.py::test_1",
    ]
    missing = gate("show", "nope")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert (
        missing.stderr
        == "gate: error: no mutant id or function 'nope' in the last results (.gate/results.json)\n"
    )
    details = gate("report", "--details")
    digest = gate("report")
    assert "Surviving mutants (3)" in details.stdout and "Surviving mutants" not in digest.stdout
    assert json.loads(gate("report", "--json").stdout)["summary"]["survived"] == 3
