"""Scores, floors and exit codes (policy), and the text and JSON renderers on a fixed set of results."""

from __future__ import annotations

import json

import pytest

from gate.exit_code import ConfigError, ExitCode
from gate.model import BlindSpot, Cause, Counts, Mutant, RunResult, Status
from gate.pipeline import render
from gate.policy import judge
from gate.report import available_formats

DIFF = '--- pkg/calc.py\n+++ pkg/calc.py\n@@ -1,3 +1,3 @@\n def grade(score):\n-    if score >= 90:\n+    if score > 90:\n         return "A"\n'


def _mutant(n: int, status: Status, **kwargs: object) -> Mutant:
    defaults: dict[str, object] = {
        "id": f"{n:010d}",
        "name": f"pkg.calc.x_grade__mutmut_{n}",
        "target": "core",
        "file": "pkg/calc.py",
        "line": 9,
        "function": "grade",
        "status": status,
    }
    defaults.update(kwargs)
    return Mutant(**defaults)  # type: ignore[arg-type]


@pytest.fixture
def result() -> RunResult:
    mutants = [
        _mutant(1, Status.KILLED, duration=0.05),
        _mutant(2, Status.KILLED),
        _mutant(3, Status.TIMEOUT),
        _mutant(
            4,
            Status.SURVIVED,
            diff=DIFF,
            tests=["tests/test_calc.py::test_fast", "tests/test_calc.py::test_slow"],
            cause=Cause.WEAK_ASSERTION,
        ),
        _mutant(
            5,
            Status.NO_TESTS,
            name="pkg.util.x_untested__mutmut_1",
            target="util",
            file="pkg/util.py",
            line=3,
            function="untested",
            diff="--- pkg/util.py\n+++ pkg/util.py\n@@ -1,2 +1,2 @@\n def untested(x):\n-    return x * 2\n+    return x / 2\n",
        ),
        _mutant(6, Status.SKIPPED, target="util", file="pkg/util.py", line=4, function="other"),
        _mutant(7, Status.KILLED, target="util", file="pkg/util.py", line=4, function="other", reused=True),
    ]
    return RunResult(
        mutants=mutants,
        commit="abc123",
        started="2026-01-05T10:00:00+00:00",
        finished="2026-01-05T10:00:12+00:00",
        duration_s=12.25,
        target_floors={"core": 70.0, "util": None},
        fail_under=80.0,
        blind_spots=[BlindSpot("pkg/calc.py", "label", 20, "decorated (@functools.cache)")],
        retested=6,
        reused=1,
        config_fingerprint="0123456789ab",
    )


def test_counts_and_scores(result: RunResult) -> None:
    counts = result.counts()
    assert (counts.killed, counts.timeout, counts.survived, counts.no_tests, counts.skipped) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert counts.scored == 6
    assert counts.score == 66.7  # (3 killed + 1 timeout) / 6
    assert counts.covered_score == 80.0  # no-tests left out: 4 / 5
    assert Counts.of([]).score is None


def test_overall_floor_missed_is_exit_1(result: RunResult) -> None:
    verdict = judge(result)
    assert verdict.exit_code == ExitCode.FAILED
    assert verdict.failures == ["score 66.7% is under the floor of 80%"]
    assert verdict.targets["core"].score == 75.0
    assert verdict.targets["util"].score == 50.0


def test_target_floor_missed_is_exit_1_even_when_overall_passes(result: RunResult) -> None:
    result.target_floors["core"] = 76.0
    verdict = judge(result, fail_under=60)
    assert verdict.exit_code == ExitCode.FAILED
    assert verdict.failures == ["target core: score 75.0% is under its floor of 76%"]


def test_all_floors_met_is_exit_0(result: RunResult) -> None:
    verdict = judge(result, fail_under=66.7)
    assert verdict.exit_code == ExitCode.PASSED and verdict.passed and verdict.failures == []


def test_no_floor_and_nothing_scored_passes() -> None:
    assert judge(RunResult(mutants=[])).exit_code == ExitCode.PASSED


def test_text_report(result: RunResult, snapshot) -> None:  # type: ignore[no-untyped-def]
    assert render(result, "text") == snapshot


def test_text_report_in_colour(result: RunResult, snapshot) -> None:  # type: ignore[no-untyped-def]
    text = render(result, "text", color=True)
    assert "\x1b[" in text
    assert text == snapshot


def test_json_report_is_gate_report_1(result: RunResult, snapshot) -> None:  # type: ignore[no-untyped-def]
    text = render(result, "json")
    data = json.loads(text)
    assert data["schema"] == "gate-report/1"
    assert data["summary"]["score"] == 66.7
    assert data["targets"]["core"]["fail_under"] == 70.0
    assert RunResult.from_json(data).to_json() == data
    assert text == snapshot


def test_unknown_format_is_a_config_error(result: RunResult) -> None:
    assert {"text", "json"} <= set(available_formats())
    with pytest.raises(ConfigError, match="unknown format 'pdf'"):
        render(result, "pdf")
