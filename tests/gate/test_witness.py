"""Witness parts without mutmut: values as source, the suggested assertion, scratch copies of tests, the
pairing of calls, the cache, and how each renderer shows what the model carries."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
from pathlib import Path

from gate import pipeline
from gate.commands.common import witness_budget
from gate.config import load_config
from gate.model import Cause, Mutant, RunResult, Status, Witness
from gate.witness import observe, suggest
from gate.witness.observe import Observation
from gate.witness.values import REPR_LIMIT, bounded_repr, reference, to_source
from tests.gate.projects import make_project


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    label: str = "p"


@dataclasses.dataclass
class Hidden:
    x: int
    y: int = dataclasses.field(init=False, default=0)


def test_values_round_trip_as_source_in_the_namespace() -> None:
    module = types.ModuleType("shapes")
    module.Point = Point  # type: ignore[attr-defined]
    namespace = {"Color": Color, "shapes": module}

    assert to_source(3, namespace) == "3"
    assert to_source("A", namespace) == "'A'"
    assert to_source([1, (2,), {"k": None}], namespace) == "[1, (2,), {'k': None}]"
    assert to_source({3, 1}, namespace) == "{1, 3}"
    assert to_source(frozenset(), namespace) == "frozenset()"
    assert to_source(Color.RED, namespace) == "Color.RED"
    assert to_source(Point(1), {"Point": Point}) == "Point(x=1, label='p')"
    assert to_source(float("nan"), namespace) is None
    assert to_source(object(), namespace) is None
    assert to_source(Hidden(1), {"Hidden": Hidden}) is None  # a field the constructor does not take
    assert to_source(Color.RED, {}) is None  # the enum is out of the test's reach
    assert to_source("x" * 500, namespace) is None  # too long to paste


def test_reference_follows_modules_the_namespace_binds() -> None:
    package = types.ModuleType("geo")
    sub = types.ModuleType("geo.shapes")
    package.shapes = sub  # type: ignore[attr-defined]
    sub.Point = Point  # type: ignore[attr-defined]
    Point.__module__, old = "geo.shapes", Point.__module__
    try:
        assert reference(Point, {"geo": package}) == "geo.shapes.Point"
        assert reference(Point, {"@py_builtins": Point}) is None  # pytest's rewriting names are not code
        assert reference(Point, {"P": Point}) == "P"
    finally:
        Point.__module__ = old


def test_bounded_repr_caps_size_and_drops_addresses() -> None:
    assert bounded_repr(list(range(100))) == "[0, 1, 2, 3, 4, 5, ...]"
    assert len(bounded_repr("x" * 10_000)) <= REPR_LIMIT
    assert bounded_repr(object()) == "<object object>"

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert bounded_repr(Broken()) == "<Broken instance>"  # reprlib names it, without its address


def call(**fields: object) -> dict[str, object]:
    return {"call": "f(1)", "call_src": "f(1)", **fields}


def test_propose_writes_the_assertion_on_the_original_outcome() -> None:
    assert suggest.propose(call(returned="'A'", returned_src="'A'"), None) == "assert f(1) == 'A'"
    assert suggest.propose(call(returned="None", returned_src="None"), None) == "assert f(1) is None"
    assert suggest.propose(call(returned="<x>", returned_src=None), None) == ""
    assert suggest.propose({"call": "f(o)", "call_src": None, "returned_src": "1"}, None) == ""
    raised = call(raised="ValueError", raw_message="bad (x)", raised_src="ValueError")
    assert suggest.propose(raised, {"raised": "ValueError"}) == (
        "with pytest.raises(ValueError, match='^bad \\\\(x\\\\)$'):\n    f(1)"
    )
    assert suggest.propose(raised, {"returned": "1"}) == "with pytest.raises(ValueError):\n    f(1)"
    coroutine = call(returned="1", returned_src="1", **{"async": True})
    assert suggest.propose({**coroutine, "async_test": True}, None) == "assert await f(1) == 1"
    assert suggest.propose({**coroutine, "async_test": False}, None) == ""


TESTS = """\
import pytest


class TestGrade:
    def test_a(self):
        grade(90)


@pytest.mark.parametrize("n", [1])
def test_b(n):
    grade(n)
"""


def test_scratch_copies_add_one_renamed_test_per_suggestion(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_g.py").write_text(TESTS)

    written, nodes = suggest.scratch_copies(
        tmp_path,
        [
            ("tests/test_g.py::TestGrade::test_a", "assert grade(90) == 'A'"),
            ("tests/test_g.py::test_b[1]", "with pytest.raises(E):\n    grade(n)"),
            ("tests/test_g.py::test_missing", "assert 1"),
        ],
    )

    assert written == [tmp_path / "tests" / "_gate_witness_test_g.py"]
    assert nodes == [
        "tests/_gate_witness_test_g.py::TestGrade::test_a__gate_witness_0",
        "tests/_gate_witness_test_g.py::test_b__gate_witness_1[1]",
        None,
    ]
    assert written[0].read_text() == TESTS.replace(
        "        grade(90)\n",
        "        grade(90)\n\n    def test_a__gate_witness_0(self):\n        grade(90)\n        assert grade(90) == 'A'\n",
    ).replace(
        "    grade(n)\n",
        '    grade(n)\n\n@pytest.mark.parametrize("n", [1])\ndef test_b__gate_witness_1(n):\n    grade(n)\n'
        "    with pytest.raises(E):\n        grade(n)\n",
    )


def record(call_text: str, returned: str) -> dict[str, object]:
    return {"call": call_text, "returned": returned}


def test_the_first_pair_that_differs_by_order_within_each_test_is_the_witness() -> None:
    original = Observation(
        calls={"t1": [record("f(1)", "1")], "t2": [record("f(2)", "2"), record("f(3)", "3")]},
        counts={"t1": 1, "t2": 2},
    )
    same = Observation(calls=json.loads(json.dumps(original.calls)), counts=dict(original.counts))
    changed = Observation(
        calls={"t1": [record("f(1)", "1")], "t2": [record("f(2)", "2"), record("f(3)", "4")]}
    )
    fewer = Observation(calls={"t1": [record("f(1)", "1")], "t2": [record("f(2)", "2")]})
    mutant = Mutant("id1", "m.x_f__mutmut_1", "t", "m.py", 1, "f", Status.SURVIVED, tests=["t1", "t2"])

    assert observe.judge(mutant, original, same) == Witness(kind="no-difference", calls=3, tests=2)
    assert observe.judge(mutant, original, changed) == Witness(
        kind="differs", test="t2", call="f(3)", original="returns 3", mutant="returns 4", suggestion=""
    )
    assert observe.judge(mutant, original, fewer).mutant == "is not called"
    assert observe.judge(mutant, Observation(), Observation()) == Witness(
        kind="unavailable", note="its tests made no call through mutmut's trampoline this time"
    )
    assert (
        observe.describe({"raised": "KeyError", "message": "k", "changed": {"n": ["0", "2"]}})
        == "raises KeyError('k') and sets self.n = 2"
    )


def test_a_cached_witness_is_reused_without_running_anything(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    mutant = Mutant(
        "id1",
        "m.x_f__mutmut_1",
        "t",
        "m.py",
        1,
        "f",
        Status.SURVIVED,
        tests=["t.py::t"],
        cause=Cause.WEAK_ASSERTION,
    )
    cached = Witness(kind="no-difference", calls=4, tests=2)
    observe._save_cache(tmp_path, {observe.cache_key(tmp_path, mutant): cached.to_json()})
    warnings: list[str] = []

    assert observe.attach(tmp_path, [mutant], 10, warnings) == 1
    assert mutant.witness == cached
    assert warnings == []
    (tmp_path / "m.py").write_text("def f():\n    return 2\n")  # the source changed: the key changes
    assert observe.cache_key(tmp_path, mutant) not in observe._load_cache(tmp_path)


def result_with_witness() -> RunResult:
    mutant = Mutant(
        "abc123",
        "pkg.calc.x_grade__mutmut_3",
        "core",
        "pkg/calc.py",
        3,
        "grade",
        Status.SURVIVED,
        diff='--- a\n+++ b\n@@ -1 +1 @@\n-        return "A"\n+        return "XXAXX"\n',
        tests=["tests/test_calc.py::test_grade"],
        cause=Cause.WEAK_ASSERTION,
        witness=Witness(
            kind="differs",
            test="tests/test_calc.py::test_grade",
            call="grade(90)",
            original="returns 'A'",
            mutant="returns 'XXAXX'",
            suggestion="assert grade(90) == 'A'",
            verified=True,
        ),
    )
    return RunResult(mutants=[mutant], target_floors={"core": None})


WITNESS_SENTENCE = (
    "in `tests/test_calc.py::test_grade`, `grade(90)` returns 'A'; under the mutant it returns 'XXAXX', "
    "and the test does not check it"
)


def test_every_format_shows_the_witness_the_model_carries() -> None:
    result = result_with_witness()

    text = pipeline.render(result, "text")
    markdown = pipeline.render(result, "markdown")
    sarif = json.loads(pipeline.render(result, "sarif"))
    html = pipeline.render(result, "html")
    data = json.loads(pipeline.render(result, "json"))

    assert (
        f"        witness: {WITNESS_SENTENCE}\n"
        "        verified assertion (passes on the original, fails on the mutant):\n"
        "          assert grade(90) == 'A'\n"
    ) in text
    assert (
        f"- Witness: {WITNESS_SENTENCE}\n"
        "- Verified assertion (passes on the original, fails on the mutant):\n\n"
        "  ```python\n  assert grade(90) == 'A'\n  ```\n"
    ) in markdown
    assert sarif["runs"][0]["results"][0]["message"]["text"].endswith(
        f" Witness: {WITNESS_SENTENCE}. Verified assertion: assert grade(90) == 'A'"
    )
    assert (
        '<p class="witness">Witness: in `tests/test_calc.py::test_grade`, `grade(90)` returns &#39;A&#39;'
        in html
    )
    assert '<pre class="suggestion">assert grade(90) == &#39;A&#39;</pre>' in html
    assert data["mutants"][0]["witness"] == {
        "kind": "differs",
        "test": "tests/test_calc.py::test_grade",
        "call": "grade(90)",
        "original": "returns 'A'",
        "mutant": "returns 'XXAXX'",
        "suggestion": "assert grade(90) == 'A'",
        "verified": True,
        "calls": 0,
        "tests": 0,
        "note": "",
    }
    assert RunResult.from_json(data).mutants[0].witness == result.mutants[0].witness


def test_an_unverified_suggestion_is_not_shown() -> None:
    result = result_with_witness()
    assert result.mutants[0].witness is not None
    result.mutants[0].witness.verified = False

    text = pipeline.render(result, "text")

    assert f"        witness: {WITNESS_SENTENCE}\n" in text
    assert "assert grade(90)" not in text
    assert "assert grade(90)" not in pipeline.render(result, "markdown")


def test_witnesses_are_on_for_check_and_pr_and_opt_in_for_the_full_run(tmp_path: Path) -> None:
    plain = load_config(make_project(tmp_path / "plain").root)
    opted = load_config(
        make_project(tmp_path / "opted", gate_extra="witnesses = true\nwitness_budget = 30").root
    )

    assert witness_budget(plain, None) == 120.0
    assert witness_budget(plain, 5.0) == 5.0
    assert witness_budget(plain, None, full_run=True) == 0.0
    assert witness_budget(opted, None, full_run=True) == 30.0
    assert witness_budget(opted, 0.0) == 0.0
