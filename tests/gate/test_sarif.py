"""SARIF output: valid against the SARIF 2.1.0 JSON schema, one result per survivor, one rule per cause."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gate.model import Cause, RunResult, Status
from gate.report.sarif import RULE_IDS, render_sarif
from tests.gate.results_fixture import many_survivors, mutant, pr_result

SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8")
)


def validate(log: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


@pytest.fixture
def log():
    return json.loads(render_sarif(pr_result()))


def test_the_log_is_valid_sarif_2_1_0(log):
    validate(log)
    assert log["version"] == "2.1.0"


def test_the_schema_rejects_a_broken_log(log):
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_one_result_per_survivor_at_its_file_and_line(log):
    results = log["runs"][0]["results"]
    where = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
            r["partialFingerprints"]["gateMutantId/v1"],
        )
        for r in results
    ]
    assert where == [
        ("py/services/download_manager.py", 30, "partly-mocked", "0000000007"),
        ("py/services/download_manager.py", 44, "hidden-by-mock", "0000000008"),
        ("py/services/downloader.py", 15, "weak-assertion", "0000000004"),
        ("py/services/downloader.py", 15, "weak-assertion", "0000000005"),
        ("py/services/downloader.py", 15, "weak-assertion", "0000000006"),
    ]


def test_one_rule_per_cause_and_results_point_at_their_rule(log):
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [str(c) for c in Cause] + ["unclassified"] == RULE_IDS
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_the_message_names_the_change_the_tests_and_the_fix(log):
    first = log["runs"][0]["results"][2]
    assert first["message"]["text"] == (
        "Surviving mutant in retry_delay (weak assertion): `return base * 2 ** attempt` -> "
        "`return base / 2 ** attempt`. 5 tests ran it and passed. "
        "Assert the exact delay: `retry_delay(2)` must return `2.0`."
    )
    assert first["properties"]["tests"][0] == "tests/services/test_downloader.py::test_retry_0"
    assert first["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "retry_delay", "kind": "function"}
    ]


def test_paths_are_uri_encoded():
    result = RunResult(mutants=[mutant(1, 2, Status.SURVIVED, Cause.UNTESTED, file="py/my file.py")])
    log = json.loads(render_sarif(result))
    validate(log)
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "py/my%20file.py"
    )


def test_no_survivors_is_a_valid_empty_run():
    log = json.loads(render_sarif(RunResult(mutants=[mutant(1, 2, Status.KILLED)])))
    validate(log)
    assert log["runs"][0]["results"] == []


def test_many_survivors_stay_valid():
    log = json.loads(render_sarif(many_survivors(500)))
    validate(log)
    assert len(log["runs"][0]["results"]) == 500
