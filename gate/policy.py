"""The policy: scores per target and overall against their floors, and the exit code that follows.

Score = (killed + timeout) / (all - skipped - accepted - type-error - not-checked), as model.Counts defines.
"""

from __future__ import annotations

from gate.model import Counts, RunResult, Verdict


def under_floor(counts: Counts, floor: float | None) -> bool:
    """True when a floor is set and the score is under it; no score (nothing judged) misses no floor."""
    return floor is not None and counts.score is not None and counts.score < floor


def judge(result: RunResult, fail_under: float | None = None) -> Verdict:
    """Apply the overall floor (`fail_under` overrides the configured one) and each target's floor."""
    floor = fail_under if fail_under is not None else result.fail_under
    overall = result.counts()
    targets = {name: Counts.of(mutants) for name, mutants in sorted(result.by_target().items())}
    failures: list[str] = []
    if under_floor(overall, floor):
        failures.append(f"score {overall.score:.1f}% is under the floor of {floor:g}%")
    for name, counts in targets.items():
        target_floor = result.target_floors.get(name)
        if under_floor(counts, target_floor):
            failures.append(
                f"target {name}: score {counts.score:.1f}% is under its floor of {target_floor:g}%"
            )
    return Verdict.of(failures, overall, targets, floor)
