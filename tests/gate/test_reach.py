"""Line reach from recorded per-test lines and the source: which tests run a mutated line, under which branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.causes.census import Census, source_digests
from gate.causes.classify import classify
from gate.causes.reach import Branch, LineReach, Reach, parse_ranges
from gate.model import Cause, Mutant, Status

SOURCE = """\
import functools


class Box:
    @functools.cache
    def size(self, scale=2):
        \"\"\"The size.\"\"\"
        total = 0
        while total < 10:
            total += scale
        else:
            total = -total
        return total

    def kind(self, value):
        match value:
            case 1:
                return "one"
            case _:
                return [
                    "many",
                    value,
                ]


def pick(flag, other):
    if flag:
        return 1
    elif other:
        return 2
    try:
        return int(other)
    except ValueError:
        return 0
"""
FILE = "pkg/box.py"
A, B = "tests/test_box.py::test_a", "tests/test_box.py::test_b"


def reach(lines: dict[str, str]) -> Reach:
    return Reach(Census(tests=[A, B], lines={FILE: lines}), {FILE: SOURCE})


def mutant(line: int, function: str, tests: list[str], status: Status = Status.SURVIVED) -> Mutant:
    return Mutant(
        id="0", name=f"pkg.box.x_{function}__mutmut_1", target="core", file=FILE, line=line,
        function=function, status=status, diff="", tests=tests,
    )  # fmt: skip


def test_parse_ranges() -> None:
    assert parse_ranges("1-3,7,9-10") == {1, 2, 3, 7, 9, 10}
    assert parse_ranges("") == set()


@pytest.mark.parametrize(
    ("line", "function", "expected"),
    [
        (5, "Box.size", LineReach([A, B])),  # decorator: every test entering the function
        (6, "Box.size", LineReach([A, B])),  # signature (a default value)
        (7, "Box.size", LineReach([A, B])),  # docstring
        (10, "Box.size", LineReach([A], Branch(9, "while total < 10:"))),
        (12, "Box.size", LineReach([], Branch(9, "while total < 10:", otherwise=True))),
        (18, "Box.kind", LineReach([], Branch(17, "case 1:"))),
        (22, "Box.kind", LineReach([B], Branch(19, "case _:"))),  # a statement run from its first line
        (28, "pick", LineReach([A], Branch(27, "if flag:"))),
        (29, "pick", LineReach([B], Branch(27, "if flag:", otherwise=True))),  # the elif's condition
        (30, "pick", LineReach([], Branch(29, "elif other:"))),
        (34, "pick", LineReach([], Branch(33, "except ValueError:"))),
        (32, "pick", LineReach([B])),  # in a try: no condition guards it
    ],
)
def test_line_reach(line: int, function: str, expected: LineReach) -> None:
    found = reach({A: "8-10,13,27-28", B: "8-9,13,16-17,19-20,27,29,31-32"}).of(
        mutant(line, function, [A, B])
    )
    assert found == expected


def test_unknown_when_no_test_of_the_mutant_is_seen_in_its_function() -> None:
    lines = reach({A: "27-28"})
    assert lines.of(mutant(10, "Box.size", [A])) is None  # mutmut says A runs it; the coverage does not
    assert lines.of(mutant(28, "Box.missing", [A])) is None
    assert Reach(Census(), {}).of(mutant(28, "pick", [A])) is None  # no lines for the file


def test_classify_tells_line_not_run_from_weak_assertion() -> None:
    census = Census(tests=[A, B], lines={FILE: {A: "27-28", B: "27,29"}})
    not_run = mutant(30, "pick", [A, B])
    weak = mutant(28, "pick", [B, A])
    unknown = mutant(10, "Box.size", [A])
    classify([not_run, weak, unknown], census, reach=Reach(census, {FILE: SOURCE}))
    assert (not_run.cause, not_run.hint) == (
        Cause.LINE_NOT_RUN,
        "the tests that run `pick` never reach line 30 (under `elif other:`, line 29): add a test for that "
        "branch",
    )
    # The hint names a test that runs the line (A), not the fastest test of the function (B).
    assert (weak.cause, weak.hint) == (
        Cause.WEAK_ASSERTION,
        "make `test_a` assert exact results of `pick`, not just that it ran",
    )
    assert (unknown.cause, unknown.hint) == (
        Cause.WEAK_ASSERTION,
        "make `test_a` assert exact results of `size`, not just that it ran",
    )


def test_reach_load_keeps_only_files_unchanged_since_the_census(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / FILE).write_text(SOURCE)
    census = Census(tests=[A], lines={FILE: {A: "27-28"}}, sources=source_digests(tmp_path, ["pkg"]))
    assert Reach.load(census, tmp_path, [FILE]).of(mutant(28, "pick", [A])) == LineReach(
        [A], Branch(27, "if flag:")
    )
    (tmp_path / FILE).write_text("# moved\n" + SOURCE)
    assert Reach.load(census, tmp_path, [FILE]).of(mutant(28, "pick", [A])) is None
