"""The Stryker renderer: a result as a mutation-testing-report-schema (v2) JSON document.

Stryker Dashboard and mutation-testing-elements show it as they show Stryker's own reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from gate import __version__
from gate.model import Mutant, RunResult, Status
from gate.report.span import change_of

SCHEMA_VERSION = "2"

STATUS = {
    Status.KILLED: "Killed",
    Status.SURVIVED: "Survived",
    Status.NO_TESTS: "NoCoverage",
    Status.TIMEOUT: "Timeout",
    Status.SUSPICIOUS: "RuntimeError",
    Status.SKIPPED: "Ignored",
    Status.ACCEPTED: "Ignored",
    Status.TYPE_ERROR: "CompileError",
    Status.NOT_CHECKED: "Pending",
}


def render(
    result: RunResult,
    *,
    sources: Mapping[str, str] | None = None,
    test_sources: Mapping[str, str] | None = None,
    **_options: Any,
) -> str:
    """The `-f stryker` entry point of gate.report.render."""
    return render_stryker(result, sources or {}, test_sources)


def render_stryker(
    result: RunResult,
    sources: Mapping[str, str],
    test_sources: Mapping[str, str] | None = None,
) -> str:
    """The report as JSON text.

    ``sources`` maps each mutated file (repository-relative) to its original text, as read by the
    caller; ``test_sources`` optionally does the same for test files.
    """
    return json.dumps(stryker_report(result, sources, test_sources), indent=2, ensure_ascii=False) + "\n"


def stryker_report(
    result: RunResult,
    sources: Mapping[str, str],
    test_sources: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {}
    tests: dict[str, dict[str, str]] = {}
    for mutant in sorted(result.mutants, key=lambda m: (m.file, m.line, m.id)):
        entry = files.setdefault(
            mutant.file, {"language": "python", "source": sources.get(mutant.file, ""), "mutants": []}
        )
        entry["mutants"].append(_mutant(mutant, entry["source"]))
        for test in mutant.tests:
            tests.setdefault(test, {"id": test, "name": test.split("::", 1)[-1]})

    test_files: dict[str, dict[str, Any]] = {}
    for test_id in sorted(tests):
        test_file = test_files.setdefault(test_id.split("::", 1)[0], {"tests": []})
        test_file["tests"].append(tests[test_id])
    for path, source in (test_sources or {}).items():
        if path in test_files:
            test_files[path]["source"] = source

    floor = result.fail_under if result.fail_under is not None else 60.0
    low = max(0, min(100, int(floor)))
    report: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        # Stryker colours a score under `low` red and over `high` green: the floor is the red line.
        "thresholds": {"high": min(100, low + 10), "low": low},
        "files": dict(sorted(files.items())),
        "testFiles": test_files,
        "framework": {
            "name": "gate",
            "version": __version__,
            "dependencies": {"mutmut": _version("mutmut")},
        },
        "config": {
            "targets": dict(sorted(result.target_floors.items())),
            "fail_under": result.fail_under,
            "selection": result.selection,
            "commit": result.commit,
        },
    }
    return report


def _mutant(mutant: Mutant, source: str) -> dict[str, Any]:
    change = change_of(mutant.diff)
    line = max(1, mutant.line)
    source_line = _line(source, line)
    if change is not None and source_line.strip() == change.original.strip():
        # The diff holds the function cut out of its class: shift by the file's own indentation.
        shift = _indent(source_line) - _indent(change.original)
        start, end = change.start_column + shift, change.end_column + shift
    else:  # the diff does not match the file as given: mark the whole line
        start, end = 1, len(source_line) + 1
    data: dict[str, Any] = {
        "id": mutant.id,
        "mutatorName": change.mutator if change else "Mutation",
        "location": {
            "start": {"line": line, "column": start},
            "end": {"line": line, "column": max(start, end)},
        },
        "status": STATUS[mutant.status],
        "coveredBy": list(mutant.tests),
    }
    if change is not None:
        data["replacement"] = change.replacement
        data["description"] = (
            f"{change.removed.strip() or '(nothing)'} → {change.replacement.strip() or '(nothing)'}"
        )
    reason = _status_reason(mutant)
    if reason:
        data["statusReason"] = reason
    if mutant.duration is not None:
        data["duration"] = round(mutant.duration * 1000.0, 3)
    if mutant.status == Status.KILLED and mutant.tests:
        data["testsCompleted"] = len(mutant.tests)
    return data


def _status_reason(mutant: Mutant) -> str:
    if mutant.status == Status.ACCEPTED:
        return f"accepted as equivalent: {mutant.accepted_reason}" if mutant.accepted_reason else "accepted"
    if mutant.status == Status.SKIPPED:
        return f"skipped ({mutant.skip_reason})" if mutant.skip_reason else "skipped"
    parts = [str(mutant.cause)] if mutant.cause else []
    if mutant.hint:
        parts.append(mutant.hint)
    if mutant.flaky:
        parts.append("flaky: killed when re-run alone")
    return ": ".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _line(source: str, number: int) -> str:
    lines = source.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
