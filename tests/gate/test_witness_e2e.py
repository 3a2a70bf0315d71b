"""Witnesses end to end: real `gate check` and `gate pr` with real mutmut on a project with known answers.

`grade` and `parse_age` are run by tests that check too little: every survivor whose function returns a
literal (or raises with a literal message) must get a verified assertion, and pasting those assertions into
the tests must kill them. `absolute`'s survivors change nothing its tests can see (`x <= 0` is equivalent):
they get "no difference".
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from tests.gate.git_helpers import GitRepo
from tests.gate.projects import make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

CALC = """\
def grade(score):
    if score >= 90:
        return "A"
    if score >= 50:
        return "B"
    return "C"


def parse_age(text):
    value = int(text)
    if value < 0:
        raise ValueError("negative age")
    return value


def absolute(x):
    if x < 0:
        return -x
    return x
"""

WEAK_TESTS = """\
import pytest

from pkg.calc import absolute, grade, parse_age


def test_grade_runs():
    assert grade(90)
    assert grade(89) is not None
    grade(50)
    grade(49)


def test_parse_age():
    assert parse_age("5") > 0
    with pytest.raises(Exception):
        parse_age("-1")


def test_absolute():
    assert absolute(-3) == 3
    assert absolute(4) == 4
    assert absolute(0) == 0
"""

GRADE = "tests/test_calc.py::test_grade_runs"
PARSE = "tests/test_calc.py::test_parse_age"
RAISES_NEGATIVE = "with pytest.raises(ValueError, match='^negative age$'):\n    parse_age('-1')"


def differs(test: str, call: str, original: str, mutant: str, suggestion: str) -> dict[str, Any]:
    return {
        "kind": "differs",
        "test": test,
        "call": call,
        "original": original,
        "mutant": mutant,
        "suggestion": suggestion,
        "verified": True,
        "calls": 0,
        "tests": 0,
        "note": "",
    }


def no_difference(calls: int) -> dict[str, Any]:
    return {
        "kind": "no-difference",
        "test": "",
        "call": "",
        "original": "",
        "mutant": "",
        "suggestion": "",
        "verified": False,
        "calls": calls,
        "tests": 1,
        "note": "",
    }


# mutmut's name (less `pkg.calc.`) -> its witness, as measured by hand on this project.
EXPECTED = {
    "x_grade__mutmut_1": differs(GRADE, "grade(90)", "returns 'A'", "returns 'B'", "assert grade(90) == 'A'"),
    "x_grade__mutmut_2": differs(GRADE, "grade(90)", "returns 'A'", "returns 'B'", "assert grade(90) == 'A'"),
    "x_grade__mutmut_3": differs(
        GRADE, "grade(90)", "returns 'A'", "returns 'XXAXX'", "assert grade(90) == 'A'"
    ),
    "x_grade__mutmut_4": differs(GRADE, "grade(90)", "returns 'A'", "returns 'a'", "assert grade(90) == 'A'"),
    "x_grade__mutmut_5": differs(GRADE, "grade(50)", "returns 'B'", "returns 'C'", "assert grade(50) == 'B'"),
    "x_grade__mutmut_6": differs(GRADE, "grade(50)", "returns 'B'", "returns 'C'", "assert grade(50) == 'B'"),
    "x_grade__mutmut_7": differs(
        GRADE, "grade(89)", "returns 'B'", "returns 'XXBXX'", "assert grade(89) == 'B'"
    ),
    "x_grade__mutmut_8": differs(GRADE, "grade(89)", "returns 'B'", "returns 'b'", "assert grade(89) == 'B'"),
    "x_grade__mutmut_9": differs(
        GRADE, "grade(49)", "returns 'C'", "returns 'XXCXX'", "assert grade(49) == 'C'"
    ),
    "x_grade__mutmut_10": differs(
        GRADE, "grade(49)", "returns 'C'", "returns 'c'", "assert grade(49) == 'C'"
    ),
    "x_parse_age__mutmut_3": no_difference(2),  # `value <= 0`: no test parses "0"
    "x_parse_age__mutmut_4": no_difference(2),  # `value < 1`
    "x_parse_age__mutmut_5": differs(
        PARSE,
        "parse_age('-1')",
        "raises ValueError('negative age')",
        "raises ValueError('None')",
        RAISES_NEGATIVE,
    ),
    "x_parse_age__mutmut_6": differs(
        PARSE,
        "parse_age('-1')",
        "raises ValueError('negative age')",
        "raises ValueError('XXnegative ageXX')",
        RAISES_NEGATIVE,
    ),
    "x_parse_age__mutmut_7": differs(
        PARSE,
        "parse_age('-1')",
        "raises ValueError('negative age')",
        "raises ValueError('NEGATIVE AGE')",
        RAISES_NEGATIVE,
    ),
    "x_absolute__mutmut_1": no_difference(3),  # `x <= 0`: equivalent, -0 == 0
    "x_absolute__mutmut_2": no_difference(3),  # `x < 1`: the same on the integers the tests pass
}


def witnesses(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        m["name"].removeprefix("pkg.calc."): m["witness"]
        for m in report["mutants"]
        if m["status"] == "survived"
    }


def paste(source: str, test: str, suggestion: str) -> str:
    """``suggestion`` at the end of ``test``'s body, as a reviewer would paste it."""
    name = test.rpartition("::")[2]
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    lines = source.splitlines()
    lines[node.end_lineno : node.end_lineno] = ["    " + line for line in suggestion.splitlines()]
    return "\n".join(lines) + "\n"


def test_check_gives_verified_assertions_that_kill_when_pasted_and_no_difference_otherwise(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path, source={"calc.py": CALC}, tests={"test_calc.py": WEAK_TESTS})

    first = project.gate("check", "pkg/calc.py", "--json", timeout=300)

    assert first.returncode == 1, first.stderr
    report = json.loads(first.stdout)
    assert witnesses(report) == EXPECTED
    assert witnesses(project.report("check")) == EXPECTED  # kept in .gate/results-check.json too
    assert not list((project.root / "mutants" / "tests").glob("_gate_witness_*"))  # scratch copies removed

    text = project.gate("report", "--scope", "check", "-f", "text", "--details").stdout
    assert (
        "        witness: in `tests/test_calc.py::test_grade_runs`, `grade(90)` returns 'A'; under the mutant "
        "it returns 'XXAXX', and the test does not check it\n"
        "        verified assertion (passes on the original, fails on the mutant):\n"
        "          assert grade(90) == 'A'\n"
    ) in text
    absolute_ids = {m["name"]: m["id"] for m in report["mutants"]}
    equivalent = absolute_ids["pkg.calc.x_absolute__mutmut_1"]
    assert (
        "        witness: no difference at `absolute`'s boundary in 3 calls across 1 test: an equivalent mutant, "
        "or an effect on state the tests never read; if equivalent, accept it: "
        f'gate accept {equivalent} --reason "no difference at absolute\'s boundary in 3 calls across 1 test"\n'
    ) in text

    pasted = WEAK_TESTS
    for witness in dict.fromkeys((w["test"], w["suggestion"]) for w in EXPECTED.values() if w["verified"]):
        pasted = paste(pasted, *witness)
    project.write("tests/test_calc.py", pasted)
    second = project.gate("check", "pkg/calc.py", "--json", timeout=300)

    after = {m["name"].removeprefix("pkg.calc."): m["status"] for m in json.loads(second.stdout)["mutants"]}
    for name, witness in EXPECTED.items():
        assert after[name] == ("killed" if witness["verified"] else "survived"), name


def test_pr_comment_shows_the_witness_and_the_verified_assertion(tmp_path: Path) -> None:
    project = make_project(tmp_path, source={"calc.py": "def add(a, b):\n    return a + b\n"}, tests={})
    repo = GitRepo(project.root)
    repo.write(".gitignore", "mutants/\n.gate/\n__pycache__/\n.pytest_cache/\n")
    repo.write(
        "tests/test_add.py", "from pkg.calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    repo.commit("base")
    repo.branch("feature")
    project.write("pkg/calc.py", CALC + "\n\ndef add(a, b):\n    return a + b\n")
    project.write("tests/test_calc.py", WEAK_TESTS)
    repo.commit("grade, parse_age, absolute")

    done = project.gate("pr", "--base", "main", "-f", "json", "-o", "pr.json", timeout=300)

    assert done.returncode == 1, done.stderr
    assert witnesses(json.loads((project.root / "pr.json").read_text())) == EXPECTED
    comment = (project.root / ".gate" / "pr-comment.md").read_text()
    assert (
        "- Witness: in `tests/test_calc.py::test_grade_runs`, `grade(90)` returns 'A'; under the mutant it "
        "returns 'B', and the test does not check it\n"
        "- Verified assertion (passes on the original, fails on the mutant):\n"
        "\n"
        "  ```python\n"
        "  assert grade(90) == 'A'\n"
        "  ```\n"
    ) in comment
    assert "- Witness: no difference at `absolute`'s boundary in 3 calls across 1 test: " in comment


TALLY = """\
from dataclasses import dataclass


@dataclass
class Tally:
    total: int = 0

    def add(self, k):
        self.total += k
        return self.total
"""

TALLY_TESTS = """\
from pkg.tally import Tally


def test_add():
    tally = Tally()
    assert tally.add(2) is not None
"""


def test_a_method_shows_the_attributes_it_sets_and_a_dataclass_instance_is_written_as_source(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path, source={"tally.py": TALLY}, tests={"test_tally.py": TALLY_TESTS})

    done = project.gate("check", "pkg/tally.py", "--json", timeout=300)

    assert done.returncode == 1, done.stderr
    found = {
        m["name"].removeprefix("pkg.tally.xǁTallyǁ"): m["witness"] for m in json.loads(done.stdout)["mutants"]
    }
    assert found == {
        # `self.total = k`: the same on a fresh Tally, and the attribute it sets is named
        "add__mutmut_1": {**no_difference(1), "note": "it sets self.total"},
        "add__mutmut_2": differs(  # `self.total -= k`
            "tests/test_tally.py::test_add",
            "add(2)",
            "returns 2 and sets self.total = 2",
            "returns -2 and sets self.total = -2",
            "assert Tally(total=0).add(2) == 2",
        ),
    }
