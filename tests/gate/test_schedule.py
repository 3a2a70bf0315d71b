"""Which waiting mutant a free worker takes (gate.mutmut.schedule), over the runner's own killer records."""

from __future__ import annotations

from collections import Counter

from gate.mutmut.killers import Killers
from gate.mutmut.schedule import pick


def test_a_function_with_a_mutant_in_flight_and_no_killer_waits_for_its_result() -> None:
    killers = Killers()
    waiting = ["pkg.m.x_f", "pkg.m.x_f", "pkg.m.x_g", "pkg.m.x_h"]
    assert pick(waiting, Counter({"pkg.m.x_f": 1}), killers.knows) == 2


def test_a_function_whose_killer_is_known_goes_in_mutmuts_order() -> None:
    killers = Killers()
    killers.killed("pkg.m.x_f", "t::kills")
    waiting = ["pkg.m.x_f", "pkg.m.x_g"]
    assert pick(waiting, Counter({"pkg.m.x_f": 2, "pkg.m.x_g": 0}), killers.knows) == 0


def test_nothing_in_flight_takes_the_first() -> None:
    assert pick(["pkg.m.x_f", "pkg.m.x_g"], Counter(), Killers().knows) == 0


def test_when_every_function_waits_for_a_result_the_first_goes_anyway() -> None:
    in_flight = Counter({"pkg.m.x_f": 1, "pkg.m.x_g": 3})
    assert pick(["pkg.m.x_g", "pkg.m.x_f", "pkg.m.x_g"], in_flight, Killers().knows) == 0


def test_a_finished_function_counts_as_not_in_flight() -> None:
    in_flight = Counter({"pkg.m.x_f": 1})
    in_flight["pkg.m.x_f"] -= 1  # its result came in, without a killer (it survived)
    assert pick(["pkg.m.x_f", "pkg.m.x_g"], in_flight, Killers().knows) == 0


def test_knows_is_only_about_recorded_kills() -> None:
    killers = Killers({"pkg.m.x_f": ["t::a"], "pkg.m.x_g": []})
    assert [killers.knows(f) for f in ("pkg.m.x_f", "pkg.m.x_g", "pkg.m.x_h")] == [True, False, False]
