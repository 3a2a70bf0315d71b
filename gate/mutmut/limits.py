"""Time limits from the tests' own baselines: a mutant's, over the tests it is run with, and each test's.

mutmut measures each test's call phase in its stats run and gives a mutant (sum of its function's tests'
durations + timeout_constant) x timeout_multiplier. The gate applies that formula to the tests a mutant is
actually run with and, under warm workers, to each of them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def baseline_limit(
    tests: Iterable[str], duration_by_test: Mapping[str, float], factor: float, constant: float
) -> float:
    """A mutant's wall-clock limit in seconds: its own tests' measured durations times `factor`, plus
    `constant` for the worker's fork, pytest's start-up and fixtures (mutmut measures only the call
    phase)."""
    return sum(duration_by_test.get(test, 0.0) for test in tests) * factor + constant


def per_test_limits(
    tests: Sequence[str], duration_by_test: Mapping[str, float], multiplier: float, constant: float
) -> list[float]:
    """Each test's own wall-clock limit: the mutant's formula, (duration + constant) x multiplier, applied
    to one test. A mutant that hangs in its first test ends after that test's limit, not after the limit
    of all its tests."""
    return [baseline_limit([test], duration_by_test, multiplier, constant * multiplier) for test in tests]
