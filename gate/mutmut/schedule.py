"""Which waiting mutant a free worker takes: one whose function's tests already have a known killer, or
whose function has no mutant in flight, so that a function's first result orders its siblings' tests.

Killer-first order (gate.mutmut.killers) only helps a mutant whose tests are ordered after a sibling was
killed. mutmut hands out a function's mutants one after the other, so with three workers the first three
of a function all started before any of them was killed and ran their tests fastest first; replaying a
full run's records, the seconds spent in tests before the killing one were half as much again as with
every kill known in time (153 test-seconds as run, 103). The warm runner therefore takes several
mutants ahead from mutmut and orders each one's tests only when a worker takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

# Mutants taken from mutmut ahead of a free worker: enough to hold mutants of several functions.
LOOKAHEAD = 32


def pick(waiting: Sequence[str], in_flight: Mapping[str, int], has_killer: Callable[[str], bool]) -> int:
    """The index in ``waiting`` (mangled functions, in mutmut's order) of the mutant to start next: the
    first whose function has a known killer or nothing in flight; the first of all when none is, so a
    worker never idles for the sake of order."""
    for index, function in enumerate(waiting):
        if has_killer(function) or not in_flight.get(function, 0):
            return index
    return 0
