"""Time limits from the tests' own baselines: a mutant's, over the tests it is run with, and each test's.

mutmut measures each test's call phase in its stats run and gives a mutant (sum of its function's tests'
durations + timeout_constant) x timeout_multiplier. The gate applies that formula to the tests a mutant is
actually run with. Under warm workers each test also gets a limit of its own: its whole measured cost
(gate.mutmut.phases) x the multiplier + the constant, or mutmut's formula for that test alone when it was
not measured; and, when its CPU time was measured, a CPU-time limit that a loaded machine does not bring
closer (see `cpu_limits`).
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


# CPU seconds a warm child may spend on a test beyond its measured CPU time x the multiplier: what a fresh
# fork pays again that the stats run paid once (lazy imports, first-use caches). Not wall time, so a loaded
# machine, which stretches wall time, does not eat into it.
CPU_CONSTANT = 0.25


def cpu_limits(
    tests: Sequence[str],
    cpu_cost: Callable[[str], float | None],
    multiplier: float,
    constant: float = CPU_CONSTANT,
) -> list[float]:
    """Each test's CPU-time limit in a warm child: its measured CPU seconds x multiplier + constant; 0 (no
    CPU limit) for a test whose CPU time was not measured.

    A mutant that hangs by computing (a loop that never ends, the services' injected sleeps) spends CPU
    time as fast as wall time on an idle machine, so it is stopped after a fraction of the wall limit,
    whose constant must also cover a loaded machine's scheduling. A mutant that hangs by waiting spends
    none and is left to the wall limit."""
    limits = []
    for test in tests:
        measured = cpu_cost(test)
        limits.append(0.0 if measured is None else measured * multiplier + constant)
    return limits
