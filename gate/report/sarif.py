"""Renders surviving mutants as SARIF 2.1.0 for GitHub code scanning: one result per survivor.

Each cause is one rule, so code scanning can filter and explain survivors by why they survived.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from gate import __version__
from gate.causes.labels import hint_for, label, words
from gate.model import CAUSES_NOT_COMPUTED, Cause, Mutant, RunResult
from gate.report import witness as witness_words
from gate.report.span import first_change

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
UNCLASSIFIED = "unclassified"

RULE_IDS: list[str] = [str(c) for c in Cause] + [UNCLASSIFIED]


def _rule(rule_id: str) -> dict[str, Any]:
    cause = None if rule_id == UNCLASSIFIED else Cause(rule_id)
    told = words(cause)
    hint = told.hint
    return {
        "id": rule_id,
        "name": told.rule,
        "shortDescription": {"text": f"Surviving mutant: {label(cause)}"},
        "fullDescription": {"text": told.rule_text},
        "help": {"text": hint, "markdown": hint},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["mutation-testing", "tests"], "precision": "high"},
    }


def _message(mutant: Mutant) -> str:
    old, new = first_change(mutant.diff)
    where = f" in {mutant.function}" if mutant.function else ""
    change = f": `{old}` -> `{new}`" if old or new else ""
    if mutant.tests:
        ran = f" {len(mutant.tests)} test{'s' if len(mutant.tests) != 1 else ''} ran it and passed."
    else:
        ran = " No test ran it."
    told = f"Surviving mutant{where} ({label(mutant.cause)}){change}.{ran} {hint_for(mutant)}"
    witness = mutant.witness
    if witness is None:
        return told
    told += f" Witness: {witness_words.sentence(mutant, witness)}."
    if witness_words.suggestion_title(witness):
        told += f" Verified assertion: {' '.join(witness.suggestion.split())}"
    return told


def _result(mutant: Mutant, rule_index: dict[str, int]) -> dict[str, Any]:
    rule_id = str(mutant.cause) if mutant.cause is not None else UNCLASSIFIED
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(mutant.file, safe="/"), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(1, mutant.line)},
        }
    }
    if mutant.function:
        location["logicalLocations"] = [{"fullyQualifiedName": mutant.function, "kind": "function"}]
    properties: dict[str, Any] = {
        "mutant": mutant.name,
        "status": str(mutant.status),
        "target": mutant.target,
        "tests": list(mutant.tests),
        "diff": mutant.diff,
    }
    if mutant.replaced_in:
        properties["replacedIn"] = list(mutant.replaced_in)
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index[rule_id],
        "level": "warning",
        "message": {"text": _message(mutant)},
        "locations": [location],
        "partialFingerprints": {"gateMutantId/v1": mutant.id},
        "properties": properties,
    }


def sarif_log(result: RunResult) -> dict[str, Any]:
    """The SARIF log as a dict: every survivor that is not flaky, at its file and line."""
    rule_index = {rule_id: index for index, rule_id in enumerate(RULE_IDS)}
    survivors = sorted(
        (m for m in result.survivors() if not m.flaky), key=lambda m: (m.file, m.line, m.name, m.id)
    )
    counts = result.counts()
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gate",
                "version": __version__,
                "semanticVersion": __version__.split("+")[0],
                "rules": [_rule(rule_id) for rule_id in RULE_IDS],
            }
        },
        "automationDetails": {"id": f"gate/{result.selection}/"},
        "columnKind": "unicodeCodePoints",
        "results": [_result(m, rule_index) for m in survivors],
        "properties": {
            "commit": result.commit,
            "score": counts.score,
            "coveredScore": counts.covered_score,
            "total": counts.total,
            "skippedNoise": counts.noise,
            "causesComputed": result.causes_computed,
        },
    }
    if not result.causes_computed:
        # Shown by SARIF viewers above the results.
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": CAUSES_NOT_COMPUTED}}
                ],
            }
        ]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(result: RunResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def render(result: RunResult, **_options: object) -> str:
    """The `sarif` format of `gate report` / `gate pr`."""
    return render_sarif(result)
