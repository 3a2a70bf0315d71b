"""The PR policy: survivors on changed lines against max_new_survivors, the changed code's score floor."""

from __future__ import annotations

from gate.exit_code import ExitCode
from gate.model import Cause, RunResult, Status
from gate.pr.policy import judge_changed_lines
from tests.gate.results_fixture import mutant


def result(*statuses: Status, flaky: int = 0) -> RunResult:
    mutants = [
        mutant(i + 1, 10 + i, s, Cause.WEAK_ASSERTION if s == Status.SURVIVED else None)
        for i, s in enumerate(statuses)
    ]
    for m in mutants[:flaky]:
        m.flaky = True
    return RunResult(mutants=mutants, selection="changed-lines")


def test_no_survivor_and_no_floor_passes():
    verdict = judge_changed_lines(result(Status.KILLED, Status.TIMEOUT), 0, None)
    assert verdict.exit_code == ExitCode.PASSED and verdict.failures == []


def test_one_survivor_over_zero_allowed_fails_with_the_count():
    verdict = judge_changed_lines(result(Status.KILLED, Status.SURVIVED), 0, None)
    assert verdict.exit_code == ExitCode.FAILED
    assert verdict.failures == [
        "1 surviving mutant on the changed lines, at most 0 allowed (`[tool.gate.pr] max_new_survivors`)"
    ]


def test_survivors_up_to_the_allowance_pass():
    verdict = judge_changed_lines(result(Status.KILLED, Status.SURVIVED, Status.NO_TESTS), 2, None)
    assert verdict.passed


def test_accepted_and_flaky_mutants_do_not_count():
    verdict = judge_changed_lines(result(Status.KILLED, Status.ACCEPTED, Status.ACCEPTED), 0, 100.0)
    assert verdict.passed and verdict.overall.score == 100.0
    flaky = result(Status.KILLED, Status.KILLED, flaky=1)
    assert judge_changed_lines(flaky, 0, 100.0).passed


def test_score_under_the_floor_fails_even_within_the_allowance():
    verdict = judge_changed_lines(result(Status.KILLED, Status.SURVIVED, Status.SURVIVED), 5, 50.0)
    assert verdict.failures == ["score on the changed lines 33.3% is under the floor of 50%"]
    assert verdict.fail_under == 50.0


def test_nothing_to_score_passes():
    assert judge_changed_lines(result(), 0, 90.0).passed
