"""Killer-first order: the tests that killed a function's mutants are tried first on its other mutants.

A killed mutant stops at its first failing test, so the order of its tests is most of its cost: mutmut runs
them fastest first, and a function reached by 200 tests pays for every test before the one that fails. The
test that killed one mutant of a function very often kills the next (same inputs, same assertions). The
set of tests stays the same, so a survivor still runs them all; only the detections get cheaper. Kept in
`.gate/killers.json` between runs (most recent first, a few per function).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from gate.atomic import StateError, write_text_atomic

STATE_FILE = Path(".gate") / "killers.json"
KEPT = 3  # killers remembered per function


class Killers:
    """{mangled function: the tests that last killed its mutants, most recent first}."""

    def __init__(self, by_function: Mapping[str, list[str]] | None = None) -> None:
        self.by_function: dict[str, list[str]] = {k: list(v) for k, v in (by_function or {}).items()}

    @classmethod
    def load(cls, root: Path) -> Killers:
        """The recorded killers; none when the file is missing or unreadable (only the order depends on it)."""
        try:
            data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            {
                str(function): [str(t) for t in tests]
                for function, tests in data.items()
                if isinstance(tests, list)
            }
        )

    def killed(self, function: str, test: str) -> None:
        tests = [test, *(t for t in self.by_function.get(function, []) if t != test)]
        self.by_function[function] = tests[:KEPT]

    def knows(self, function: str) -> bool:
        """Whether a test that killed one of this function's mutants is known."""
        return bool(self.by_function.get(function))

    def order(self, function: str, tests: Iterable[str], duration_by_test: Mapping[str, float]) -> list[str]:
        """``tests`` with this function's killers first, then the rest fastest first by
        ``duration_by_test`` (mutmut's order when those are mutmut's durations)."""
        tests = list(dict.fromkeys(tests))
        present = set(tests)
        first = [test for test in self.by_function.get(function, []) if test in present]
        rest = sorted((t for t in tests if t not in first), key=lambda t: duration_by_test.get(t, 0.0))
        return first + rest

    def save(self, root: Path) -> None:
        """Write them; a file that cannot be written is skipped (the next run orders by duration)."""
        try:
            write_text_atomic(
                root / STATE_FILE, json.dumps(self.by_function, indent=1, sort_keys=True) + "\n"
            )
        except StateError:
            return
