"""mutmut's own checks before any mutant is tested, run alone for `gate doctor --full` (entry command
`preflight`), and the mutants of a sample of files counted without writing any (`count`, doctor's estimate).

The mapping of tests to functions and their durations come back too, for doctor's time estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gate.config import GateConfig
from gate.mutmut import process

MARKER = "GATE-PREFLIGHT "  # the line the entry command prints its findings on
COUNT_MARKER = "GATE-COUNT "


@dataclass(frozen=True)
class Preflight:
    """What mutmut found before testing: whether its forced-fail check passed, and its test mapping."""

    forced_fail_ok: bool
    duration_by_test: dict[str, float]
    tests_by_function: dict[str, list[str]]


def preflight(config: GateConfig, *, max_children: int | None = None) -> Preflight:
    """Generate the mutants, collect mutmut's test mapping, run the clean suite and the forced-fail check
    exactly as `mutmut run` does, without testing any mutant. RunError when mutmut stops."""
    done = process.call(config, "preflight", max_children)
    marker = next((line for line in done.output.splitlines() if line.startswith(MARKER)), None)
    if done.returncode != 0 or marker is None:
        raise done.failure()
    data = json.loads(marker.removeprefix(MARKER))
    return Preflight(
        forced_fail_ok=bool(data["forced_fail_ok"]),
        duration_by_test={k: float(v) for k, v in data["duration_by_test"].items()},
        tests_by_function={k: list(v) for k, v in data["tests_by_function"].items()},
    )


def count_mutants(config: GateConfig, files: list[str]) -> dict[str, int]:
    """About how many mutants mutmut would generate in each of `files`, nothing written (the entry command
    `count`). RunError when mutmut cannot parse them."""
    done = process.call(config, "count", None, tuple(files))
    marker = next((line for line in done.output.splitlines() if line.startswith(COUNT_MARKER)), None)
    if done.returncode != 0 or marker is None:
        raise done.failure()
    return {file: int(count) for file, count in json.loads(marker.removeprefix(COUNT_MARKER)).items()}
