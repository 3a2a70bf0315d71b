"""The Stryker renderer: valid against the published mutation-testing-report-schema, faithful to the result."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gate.model import Status
from gate.report.stryker import STATUS, render_stryker
from tests.gate.sample_results import SOURCES, sample_result

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "mutation-testing-report-schema.json").read_text())


@pytest.fixture
def report():
    return json.loads(
        render_stryker(sample_result(), SOURCES, {"tests/services/test_cache.py": "def test_key(): ..."})
    )


def test_report_is_valid_against_the_published_schema(report):
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(report), key=str)
    assert errors == []


def test_every_status_maps_to_a_schema_status():
    allowed = set(
        SCHEMA["properties"]["files"]["additionalProperties"]["properties"]["mutants"]["items"]["properties"][
            "status"
        ]["enum"]
    )
    assert set(STATUS) == set(Status)
    assert set(STATUS.values()) <= allowed
    assert STATUS[Status.NO_TESTS] == "NoCoverage" and STATUS[Status.ACCEPTED] == "Ignored"
    assert STATUS[Status.SUSPICIOUS] == "RuntimeError" and STATUS[Status.TYPE_ERROR] == "CompileError"


def test_files_carry_the_source_and_each_mutant_its_status_location_and_cause(report):
    assert sorted(report["files"]) == ["py/services/downloader.py", "py/services/model_cache.py"]
    downloader = report["files"]["py/services/downloader.py"]
    assert downloader["source"] == SOURCES["py/services/downloader.py"]
    assert downloader["language"] == "python"
    by_id = {m["id"]: m for m in downloader["mutants"]}
    assert len(by_id) == 9
    weak = by_id["d000000002"]
    assert weak["status"] == "Survived"
    assert weak["statusReason"] == "weak-assertion"
    # `status >= 500` -> `status >= 501`: the literal on line 6, columns 22..25.
    assert weak["location"] == {"start": {"line": 6, "column": 22}, "end": {"line": 6, "column": 25}}
    assert SOURCES["py/services/downloader.py"].splitlines()[5][21:24] == "500"
    assert (weak["mutatorName"], weak["replacement"]) == ("NumberLiteral", "501")
    assert weak["coveredBy"] == ["tests/services/test_downloader.py::test_retry_on_500"]
    assert weak["duration"] == 50.0
    assert by_id["d000000007"]["status"] == "NoCoverage"
    assert by_id["d000000007"]["statusReason"] == "hidden-by-mock"
    assert by_id["d000000007"]["coveredBy"] == []
    assert by_id["d000000009"]["status"] == "Ignored"
    assert (
        by_id["d000000009"]["statusReason"] == "accepted as equivalent: chunk size rounding is not observable"
    )
    assert by_id["d000000005"]["status"] == "Timeout"
    cache = {m["id"]: m for m in report["files"]["py/services/model_cache.py"]["mutants"]}
    assert cache["c000000006"]["status"] == "RuntimeError"
    assert cache["c000000004"]["mutatorName"] == "EqualityOperator"


def test_test_files_list_every_covering_test_with_given_sources(report):
    assert report["testFiles"] == {
        "tests/services/test_cache.py": {
            "tests": [{"id": "tests/services/test_cache.py::test_key", "name": "test_key"}],
            "source": "def test_key(): ...",
        },
        "tests/services/test_downloader.py": {
            "tests": [
                {
                    "id": "tests/services/test_downloader.py::test_retry_on_500",
                    "name": "test_retry_on_500",
                }
            ]
        },
    }


def test_thresholds_put_the_floor_on_the_red_line(report):
    assert report["thresholds"] == {"low": 85, "high": 95}
    assert report["schemaVersion"] == "2"
    assert report["framework"]["name"] == "gate"


def test_a_diff_that_does_not_match_the_given_source_marks_the_whole_line():
    result = sample_result()
    sources = dict(SOURCES)
    sources["py/services/downloader.py"] = sources["py/services/downloader.py"].replace("500", "503")
    report = json.loads(render_stryker(result, sources))
    weak = next(m for m in report["files"]["py/services/downloader.py"]["mutants"] if m["id"] == "d000000002")
    line = sources["py/services/downloader.py"].splitlines()[5]
    assert weak["location"] == {
        "start": {"line": 6, "column": 1},
        "end": {"line": 6, "column": len(line) + 1},
    }
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(report)) == []


@pytest.mark.parametrize(
    ("old", "new", "columns", "removed", "replacement", "mutator"),
    [
        ("    x = True", "    x = False", (9, 13), "True", "False", "BooleanLiteral"),
        ("a == b", "a != b", (3, 5), "==", "!=", "EqualityOperator"),
        ("x < y", "x <= y", (3, 4), "<", "<=", "EqualityOperator"),
        ("x += 1", "x = 1", (3, 5), "+=", "=", "AssignmentOperator"),
        ("foo(a, b)", "foo(a, None)", (8, 9), "b", "None", "NoneReplacement"),
        ('s = "abc"', 's = "XXabcXX"', (6, 9), "abc", "XXabcXX", "StringLiteral"),
        ("if x and y:", "if x or y:", (6, 9), "and", "or", "LogicalOperator"),
        ("if not ok:", "if ok:", (4, 8), "not ", "", "UnaryOperator"),
        ("break", "continue", (1, 6), "break", "continue", "ControlFlow"),
        ("n = total // 100", "n = total / 100", (11, 13), "//", "/", "ArithmeticOperator"),
    ],
)
def test_stryker_location_and_mutator_come_from_the_changed_span(
    old, new, columns, removed, replacement, mutator
):
    from gate.report.span import change_of

    change = change_of(f"--- f.py\n+++ f.py\n@@ -1,1 +1,1 @@\n-{old}\n+{new}\n")
    assert (change.start_column, change.end_column) == columns
    assert old[columns[0] - 1 : columns[1] - 1] == removed
    assert (change.removed, change.replacement, change.mutator) == (removed, replacement, mutator)


def test_stryker_span_of_a_removed_line_and_of_no_change():
    from gate.report.span import change_of

    removed = change_of("--- f.py\n+++ f.py\n@@ -1,2 +1,1 @@\n     a = 1\n-    b = 2\n")
    assert (removed.start_column, removed.end_column, removed.mutator) == (5, 10, "StatementRemoval")
    assert change_of("--- f.py\n+++ f.py\n") is None


def test_stryker_columns_of_a_method_follow_the_file_indentation():
    # The diff holds the method cut out of its class (4 spaces less than in the file).
    result = sample_result()
    weak = next(m for m in result.mutants if m.id == "d000000002")
    weak.diff = (
        "--- f\n+++ f\n@@ -1,3 +1,3 @@\n def should_retry(self, attempt, status):\n"
        "-    if status >= 500 and attempt < self.retries:\n+    if status >= 501 and attempt < self.retries:\n"
    )
    report = json.loads(render_stryker(result, SOURCES))
    entry = next(
        m for m in report["files"]["py/services/downloader.py"]["mutants"] if m["id"] == "d000000002"
    )
    assert entry["location"] == {"start": {"line": 6, "column": 22}, "end": {"line": 6, "column": 25}}
