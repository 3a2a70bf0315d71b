"""Time limits from the tests' own baselines: a mutant's, over the tests it is run with, and each test's.

mutmut measures each test's call phase in its stats run and gives a mutant (sum of its function's tests'
durations + timeout_constant) x timeout_multiplier. The gate applies that formula to the tests a mutant is
actually run with. Under warm workers each test also gets a limit of its own: its whole measured cost
(gate.mutmut.phases) x the multiplier + the constant, or mutmut's formula for that test alone when it was
not measured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence


def baseline_limit(
    tests: Iterable[str], duration_by_test: Mapping[str, float], factor: float, constant: float
) -> float:
    """A mutant's wall-clock limit in seconds: its own tests' measured durations times `factor`, plus
    `constant` for the worker's fork, pytest's start-up and fixtures (mutmut measures only the call
    phase)."""
    return sum(duration_by_test.get(test, 0.0) for test in tests) * factor + constant


def per_test_limits(
    tests: Sequence[str],
    duration_by_test: Mapping[str, float],
    multiplier: float,
    constant: float,
    cost: Callable[[str], float | None] = lambda _test: None,
) -> list[float]:
    """Each test's own wall-clock limit. A test whose whole cost in a warm child was measured
    (`cost`: setup, call, teardown and the wider fixtures it needs, gate.mutmut.phases) gets that cost x
    multiplier + constant: nothing else is left for the constant to cover than scheduling noise, so it
    is not multiplied. Any other test gets the mutant's formula applied to it alone,
    (duration + constant) x multiplier. A mutant that hangs in its first test ends after that test's
    limit, not after the limit of all its tests."""
    limits = []
    for test in tests:
        measured = cost(test)
        if measured is None:
            limits.append(baseline_limit([test], duration_by_test, multiplier, constant * multiplier))
        else:
            limits.append(measured * multiplier + constant)
    return limits
