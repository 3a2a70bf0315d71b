"""Killer-first order: a function's killers first, then the rest fastest first; kept between runs."""

from __future__ import annotations

import json
from pathlib import Path

from gate.mutmut.killers import KEPT, STATE_FILE, Killers

DURATIONS = {"t::slow": 2.0, "t::mid": 0.5, "t::fast": 0.1, "t::killer": 1.0}


def test_without_killers_the_order_is_mutmuts_fastest_first() -> None:
    assert Killers().order("pkg.m.x_f", ["t::slow", "t::mid", "t::fast"], DURATIONS) == [
        "t::fast",
        "t::mid",
        "t::slow",
    ]


def test_the_functions_killers_come_first_most_recent_first_and_only_its_own_tests() -> None:
    killers = Killers()
    killers.killed("pkg.m.x_f", "t::slow")
    killers.killed("pkg.m.x_f", "t::killer")
    killers.killed("pkg.m.x_f", "t::elsewhere")  # not among this mutant's tests: left out
    killers.killed("pkg.m.x_g", "t::mid")  # another function's killer: no effect on x_f

    order = killers.order("pkg.m.x_f", ["t::slow", "t::mid", "t::fast", "t::killer", "t::fast"], DURATIONS)

    assert order == ["t::killer", "t::slow", "t::fast", "t::mid"]  # same tests, each once


def test_a_killer_seen_again_moves_to_the_front_and_only_a_few_are_kept() -> None:
    killers = Killers()
    for test in ["t::a", "t::b", "t::c", "t::a", "t::d"]:
        killers.killed("pkg.m.x_f", test)

    assert killers.by_function["pkg.m.x_f"] == ["t::d", "t::a", "t::c"]
    assert len(killers.by_function["pkg.m.x_f"]) == KEPT


def test_killers_are_kept_between_runs(tmp_path: Path) -> None:
    killers = Killers()
    killers.killed("pkg.m.xǁCǁm", "tests/test_m.py::test_x[a-b]")
    killers.save(tmp_path)

    assert json.loads((tmp_path / STATE_FILE).read_text()) == {
        "pkg.m.xǁCǁm": ["tests/test_m.py::test_x[a-b]"]
    }
    assert Killers.load(tmp_path).by_function == killers.by_function


def test_an_unreadable_record_orders_by_duration(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).parent.mkdir()
    (tmp_path / STATE_FILE).write_text("{not json")
    assert Killers.load(tmp_path).by_function == {}
    (tmp_path / STATE_FILE).write_text('["a list"]')
    assert Killers.load(tmp_path).by_function == {}
