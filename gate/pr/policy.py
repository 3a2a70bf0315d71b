"""The policy of a pull request: survivors on the changed lines and the score of the changed code.

Fails when survivors exceed `[tool.gate.pr] max_new_survivors`, or the score is under the PR floor.
"""

from __future__ import annotations

from gate.model import RunResult, Status, Verdict
from gate.policy import under_floor

# Counted against max_new_survivors: what no test detected. Accepted mutants have their own status and
# flaky ones (killed when re-run alone) are detections, so neither counts.
COUNTED = frozenset({Status.SURVIVED, Status.NO_TESTS})


def judge_changed_lines(
    result: RunResult, max_new_survivors: int = 0, fail_under: float | None = None
) -> Verdict:
    """The verdict on a changed-lines result. `fail_under` is the PR floor (else the overall one)."""
    counts = result.counts()
    survivors = [m for m in result.mutants if m.status in COUNTED and not m.flaky]
    failures: list[str] = []
    if len(survivors) > max_new_survivors:
        failures.append(
            f"{len(survivors)} surviving mutant{'s' if len(survivors) != 1 else ''} on the changed lines, "
            f"at most {max_new_survivors} allowed (`[tool.gate.pr] max_new_survivors`)"
        )
    if under_floor(counts, fail_under):
        failures.append(
            f"score on the changed lines {counts.score:.1f}% is under the floor of {fail_under:g}%"
        )
    return Verdict.of(failures, counts, fail_under=fail_under)
