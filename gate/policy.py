"""The policy: scores per target and overall against their floors, and the exit code that follows.

Score = (killed + timeout) / (all - skipped - accepted - type-error - not-checked), as model.Counts defines.
"""

from __future__ import annotations

from collections.abc import Mapping

from gate.exit_code import ConfigError
from gate.model import Counts, RunResult, Verdict

# What the refusal of a missing floor tells the user to add (and what `gate init` writes).
SUGGESTED_FLOOR = 80


def require_floor(fail_under: float | None, target_floors: Mapping[str, float | None]) -> None:
    """A run is judged against some floor: with none (no `fail_under`, no target floor, no --fail-under)
    any score would pass, so the run is refused before it starts (exit 2). `fail_under = 0` says
    knowingly that any score passes."""
    if fail_under is None and all(floor is None for floor in target_floors.values()):
        raise ConfigError(
            f"no score floor: add `fail_under = {SUGGESTED_FLOOR}` to [tool.gate] in pyproject.toml "
            "(or pass --fail-under PCT; `fail_under = 0` lets any score pass)"
        )


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
