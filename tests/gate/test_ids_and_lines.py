"""Stable ids and source lines, on mutants that mutmut really generates (generation only, no testing)."""

from __future__ import annotations

import json
from pathlib import Path

from gate.config import load_config
from gate.mutmut import runner
from gate.mutmut.lines import anchor, def_lines, first_change, mutation_line
from gate.mutmut.mutant_id import assign_ids, mutant_id
from gate.mutmut.results import DIFFS, read_results
from gate.mutmut.selection import for_targets
from tests.gate.projects import CALC_SOURCE, make_project

TWICE = """\
def twice(x):
    x = x + 1
    x = x + 1
    return x
"""


def _generated(project_root: Path) -> dict[str, dict]:
    config = load_config(project_root)
    runner.generate(config)
    return {m.name: m for m in read_results(config, for_targets(config))}  # type: ignore[misc]


def test_id_survives_an_unrelated_edit_above_in_the_same_function(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    before = {m.id: m for m in _generated(tmp_path).values()}
    edited = CALC_SOURCE.replace(
        "def grade(score):\n", "def grade(score):\n    score = score  # normalised\n"
    )
    project.write("pkg/calc.py", edited)

    after = {m.id: m for m in _generated(tmp_path).values()}

    assert set(before) <= set(after)
    for mutant_id_, old in before.items():
        new = after[mutant_id_]
        shift = 1 if old.function == "grade" else (1 if old.line > 9 else 0)
        assert new.line == old.line + shift
        assert new.function == old.function
    grade_ids = {i for i, m in before.items() if m.function == "grade"}
    assert len(grade_ids) == 10


def test_a_warm_read_takes_lines_and_diffs_from_the_cache_of_that_mutated_copy(tmp_path: Path) -> None:
    make_project(tmp_path)
    config = load_config(tmp_path)
    first = _generated(tmp_path)
    cached = json.loads((tmp_path / DIFFS).read_text(encoding="utf-8"))["pkg/calc.py"]["mutants"]
    assert {name: (m[0], m[1]) for name, m in cached.items()} == {
        name: (m.line, m.diff) for name, m in first.items()
    }
    # What a warm read returns comes from the cache while the source and its copy are unchanged: an entry
    # edited in the cache shows (nothing in mutants/ says so).
    name = "pkg.calc.x_add__mutmut_1"
    document = json.loads((tmp_path / DIFFS).read_text(encoding="utf-8"))
    document["pkg/calc.py"]["mutants"][name][1] = "cached diff\n"
    (tmp_path / DIFFS).write_text(json.dumps(document), encoding="utf-8")
    again = {m.name: m for m in read_results(config, for_targets(config))}
    assert again[name].diff == "cached diff\n"
    assert {n: m for n, m in again.items() if n != name} == {n: m for n, m in first.items() if n != name}

    # Garbage in the cache is read as no cache: every mutant is read again from mutants/.
    (tmp_path / DIFFS).write_text('{"pkg/calc.py": {"key": 1, "mutants": [1]}}', encoding="utf-8")
    assert {m.name: m for m in read_results(config, for_targets(config))} == first
    (tmp_path / DIFFS).write_text("[1]", encoding="utf-8")
    assert {m.name: m for m in read_results(config, for_targets(config))} == first


def test_identical_mutations_get_different_ids_in_source_order(tmp_path: Path) -> None:
    make_project(tmp_path, source={"twice.py": TWICE}, tests={"test_t.py": "def test_nothing():\n    pass\n"})
    mutants = sorted(_generated(tmp_path).values(), key=lambda m: (m.line, m.name))
    minus = [m for m in mutants if "+    x = x - 1" in m.diff]
    assert [m.line for m in minus] == [2, 3]
    assert minus[0].id != minus[1].id
    assert len({m.id for m in mutants}) == len(mutants)


def test_every_generated_mutant_points_at_the_line_it_changes(tmp_path: Path) -> None:
    source = """\
import functools


class Box:
    # a comment above a method
    # and another
    def put(self, item, limit=3):
        if len(item) > limit:
            raise ValueError("too big")
        return [item]

    @staticmethod
    def empty():
        return 0
"""
    make_project(tmp_path, source={"box.py": source}, tests={"test_b.py": "def test_nothing():\n    pass\n"})
    lines = source.splitlines()
    mutants = list(_generated(tmp_path).values())
    assert {m.function for m in mutants} == {"Box.put", "Box.empty"}
    for mutant in mutants:
        removed = next(
            ln[1:] for ln in mutant.diff.splitlines() if ln.startswith("-") and not ln.startswith("---")
        )
        assert lines[mutant.line - 1].strip() == removed.strip(), mutant.name


def test_mutant_id_is_a_short_hash_of_what_the_mutation_is() -> None:
    base = mutant_id("a.py", "f", "x = 1", "x = 2", 0)
    assert len(base) == 10 and base == mutant_id("a.py", "f", "  x = 1 ", "x = 2", 0)
    assert base != mutant_id("a.py", "f", "x = 1", "x = 2", 1)
    assert base != mutant_id("b.py", "f", "x = 1", "x = 2", 0)
    assert base != mutant_id("a.py", "g", "x = 1", "x = 2", 0)


def test_assign_ids_numbers_identical_mutations_by_mutmut_order() -> None:
    entries = [
        ("m.x_f__mutmut_10", "a.py", "f", "x = x + 1", "x = x - 1"),
        ("m.x_f__mutmut_2", "a.py", "f", "x = x + 1", "x = x - 1"),
    ]
    ids = assign_ids(entries)
    assert ids["m.x_f__mutmut_2"] == mutant_id("a.py", "f", "x = x + 1", "x = x - 1", 0)
    assert ids["m.x_f__mutmut_10"] == mutant_id("a.py", "f", "x = x + 1", "x = x - 1", 1)


def test_line_recipe_counts_from_the_def_not_the_comments_above() -> None:
    original = ["# one", "# two", "@staticmethod", "def f():", "    return 1"]
    mutant = ["# one", "# two", "@staticmethod", "def f():", "    return 2"]
    change = first_change(original, mutant)
    assert change is not None and change.orig_start == 4
    assert anchor(original) == 2
    assert mutation_line(20, original, change) == 22
    assert first_change(original, original) is None


def test_def_lines_start_at_the_first_decorator() -> None:
    source = "class A:\n    @staticmethod\n    def s():\n        pass\n\n\nasync def g():\n    pass\n"
    assert def_lines(source) == {"A.s": 2, "g": 7}
    assert def_lines("def broken(:\n") == {}


def test_mutants_read_by_worker_processes_are_those_read_in_place(tmp_path: Path) -> None:
    make_project(tmp_path, source={"calc.py": CALC_SOURCE, "twice.py": TWICE})
    config = load_config(tmp_path)
    runner.generate(config)

    in_place = read_results(config, for_targets(config), parallel_from=10**9)
    serial_cache = json.loads((tmp_path / DIFFS).read_text(encoding="utf-8"))
    (tmp_path / DIFFS).unlink()
    by_workers = read_results(config, for_targets(config), parallel_from=1)

    assert by_workers == in_place
    assert json.loads((tmp_path / DIFFS).read_text(encoding="utf-8")) == serial_cache
    assert {m.file for m in in_place} == {"pkg/calc.py", "pkg/twice.py"}


SHAPES = '''\
import textwrap


def plain(x, y=1):
    # a comment inside
    return x + y


async def waits(x):
    total = (
        x
        * 2
    )
    return total


def documented(x):
    """One line."""
    return x - 1


def long_doc(x):
    """First line.

    More lines, indented inside the string.
    """
    return x * 3


def continued(x):
    y = x + \\
        1
    return y


class Box:
    def __init__(self, items=None):
        self.items = list(items or [])

# a comment at column 0 inside the class
    def add(self, item):
        self.items.append(item)
        return len(self.items)

    def text(self):
        return textwrap.dedent("""
            a
            b
        """) + "c"

    async def size(self):
        return len(self.items) + 0
'''


def test_functions_cut_out_as_text_are_what_libcst_renders_or_left_to_it(tmp_path: Path) -> None:
    import libcst as cst

    from gate.mutmut.names import local_of, original_of, qualname_of
    from gate.mutmut.results import _MutantsFile

    make_project(
        tmp_path, source={"shapes.py": SHAPES}, tests={"test_shapes.py": "def test_none():\n    pass\n"}
    )
    mutants = _generated(tmp_path)
    reader = _MutantsFile(tmp_path, "pkg/shapes.py")
    as_text: dict[str, list[str] | None] = {}
    for name in mutants:
        qualname = qualname_of(name)
        for generated in (local_of(name), original_of(name)):
            short, is_method = qualname.rpartition(".")[2], "." in qualname
            as_text[generated] = reader._from_text(generated, short, is_method)
            function = reader._from_index(generated, is_method)
            assert function is not None
            rendered = cst.Module([function.with_changes(name=cst.Name(short))]).code.strip().split("\n")
            assert as_text[generated] in (None, rendered), generated

    by_function = {local.rpartition("__mutmut_")[0]: text is not None for local, text in as_text.items()}
    # Strings and continuations spanning lines, and a line less indented than its method, go to libcst.
    assert by_function == {
        "x_plain": True,
        "x_waits": True,
        "x_documented": True,
        "x_long_doc": False,
        "x_continued": False,
        "xǁBoxǁ__init__": True,
        "xǁBoxǁadd": False,
        "xǁBoxǁtext": False,
        "xǁBoxǁsize": True,
    }
