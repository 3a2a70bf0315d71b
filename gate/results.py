"""The last results per scope (`.gate/results.json` for full runs, `results-check.json`, `results-pr.json`),
written atomically and read back only once validated.

`gate report`, `gate show`, `gate accept` and the shard planner read the full run's file; a `gate check`
or `gate pr` never overwrites it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gate.atomic import write_text_atomic
from gate.exit_code import ConfigError, RunError
from gate.model import SCHEMA, UNDETECTED, Cause, Counts, Mutant, RunResult, Status
from gate.mutmut.names import module_of

RESULTS_FILE = Path(".gate") / "results.json"
SCOPES = ("full", "check", "pr")
_SCOPE_FILES = {
    "full": RESULTS_FILE,
    "check": RESULTS_FILE.with_name("results-check.json"),
    "pr": RESULTS_FILE.with_name("results-pr.json"),
}
# Selections that are not the full run, by the scope whose file keeps them.
_SCOPE_OF_SELECTION = {"changed-lines": "pr", "module": "check", "function": "check", "names": "check"}


def results_path(root: Path, scope: str = "full") -> Path:
    """The one place that decides where a scope's last results live."""
    return root / _SCOPE_FILES[scope]


def scope_of(result: RunResult) -> str:
    """The scope a result belongs to: `pr` for changed lines, `check` for a module or a function, else
    `full` (every target, some targets, or a merge of shards)."""
    return _SCOPE_OF_SELECTION.get(result.selection, "full")


def write_results(root: Path, result: RunResult, path: Path | None = None) -> Path:
    """Write a result (gate-report/1) atomically: to `path`, else to its scope's file."""
    target = path or results_path(root, scope_of(result))
    return write_text_atomic(target, json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")


def load_results(root: Path, path: Path | None = None, scope: str = "full") -> RunResult:
    """The last results of `scope` (or the file `path`), validated: ConfigError (exit 2) when there are
    none yet, RunError (exit 3) when unreadable or inconsistent: a report that lies is never judged."""
    source = path or results_path(root, scope)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        first = {"full": "gate run", "check": "gate check MODULE", "pr": "gate pr"}[scope]
        raise ConfigError(f"{source}: no results yet (run `{first}` first)") from None
    except OSError as error:
        raise RunError(f"cannot read {source}: {error.strerror or error}") from None
    return parse_report(text, str(source))


def parse_report(text: str, label: str) -> RunResult:
    """A gate-report/1 text as a RunResult, or a RunError naming `label` and the first thing wrong."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise RunError(f"{label}: not a readable gate report: {error}") from None
    problem = report_problem(data)
    if problem is not None:
        raise RunError(f"{label}: not a valid gate report: {problem}")
    try:
        return RunResult.from_json(data)
    except (ValueError, KeyError, TypeError) as error:
        raise RunError(f"{label}: not a valid gate report: {error}") from None


# Small typed validators rather than jsonschema: the gate has no runtime dependency on it, the checks
# that matter most (counts against the mutants listed) are not expressible in JSON Schema anyway, and
# each failure reads as one line naming the field.
Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


def _list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


_REPORT_FIELDS: dict[str, tuple[bool, Check, str]] = {
    # field: (required, check, what it must be)
    "schema": (True, lambda v: v == SCHEMA, SCHEMA),
    "mutants": (True, _list_of(_is_dict), "a list of mutant objects"),
    "summary": (True, _is_dict, "an object of counts"),
    "targets": (True, _is_dict, "an object of target counts"),
    "commit": (False, _optional(_is_str), "a string or null"),
    "started": (False, _is_str, "a string"),
    "finished": (False, _is_str, "a string"),
    "duration_s": (False, _is_number, "a number"),
    "selection": (False, _is_str, "a string"),
    "fail_under": (False, _optional(lambda v: _is_number(v) and 0 <= v <= 100), "a percentage or null"),
    "retested": (False, _is_int, "a count"),
    "reused": (False, _is_int, "a count"),
    "blind_spots": (False, _list_of(_is_dict), "a list of objects"),
    "stale_accepted": (False, _list_of(_is_str), "a list of strings"),
    "causes_computed": (False, lambda v: isinstance(v, bool), "true or false"),
    "shard": (False, _optional(_is_dict), "an object"),
    "comparison": (False, _optional(_is_dict), "an object"),
    "scope": (False, _optional(_is_dict), "an object"),
}
_STATUSES = {str(s) for s in Status}
_CAUSES = {str(c) for c in Cause}
_MUTANT_FIELDS: dict[str, tuple[bool, Check, str]] = {
    "id": (True, lambda v: _is_str(v) and bool(v), "a non-empty string"),
    "name": (True, lambda v: _is_str(v) and bool(v), "a non-empty string"),
    "file": (True, _is_str, "a string"),
    "line": (True, _is_int, "a line number"),
    "status": (True, lambda v: v in _STATUSES, "one of " + ", ".join(sorted(_STATUSES))),
    "target": (False, _is_str, "a string"),
    "function": (False, _is_str, "a string"),
    "cause": (False, lambda v: v is None or v in _CAUSES, "a cause or null"),
    "diff": (False, _is_str, "a string"),
    "tests": (False, _list_of(_is_str), "a list of strings"),
    "mocks": (
        False,
        _list_of(lambda m: _is_dict(m) and _is_str(m.get("test")) and _is_str(m.get("target"))),
        "a list of {test, target, ...} objects",
    ),
    "replaced_in": (False, _list_of(_is_str), "a list of strings"),
    "hint": (False, _is_str, "a string"),
    "duration": (False, _optional(_is_number), "a number or null"),
    "flaky": (False, lambda v: isinstance(v, bool), "true or false"),
    "reused": (False, lambda v: isinstance(v, bool), "true or false"),
    "accepted_reason": (False, _is_str, "a string"),
}
# The counts a report states and that must equal the mutants it lists.
_COUNTED = (
    "killed",
    "survived",
    "no_tests",
    "timeout",
    "suspicious",
    "skipped",
    "accepted",
    "type_error",
    "not_checked",
    "total",
)


def report_problem(data: Any) -> str | None:
    """The first thing wrong with a gate-report/1 document (types, then consistency), or None."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    problem = _fields_problem(data, _REPORT_FIELDS, "")
    if problem is not None:
        return problem
    for index, mutant in enumerate(data["mutants"]):
        problem = _fields_problem(mutant, _MUTANT_FIELDS, f"mutants[{index}].")
        if problem is not None:
            return problem
    return _consistency_problem(data)


def _fields_problem(
    data: Mapping[str, Any], fields: dict[str, tuple[bool, Check, str]], prefix: str
) -> str | None:
    for name, (required, check, expected) in fields.items():
        if name not in data:
            if required:
                return f"`{prefix}{name}` is missing"
            continue
        if not check(data[name]):
            return f"`{prefix}{name}` must be {expected}, got {json.dumps(data[name])[:60]}"
    return None


def _consistency_problem(data: dict[str, Any]) -> str | None:
    mutants = data["mutants"]
    ids = [m["id"] for m in mutants]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})[0]
        return f"mutant id {repeated} is listed twice"
    listed = Counts.of([_counted(m) for m in mutants]).to_json()
    problem = _counts_problem(data["summary"], listed, "summary")
    if problem is not None:
        return problem
    for name, stated in data["targets"].items():
        if not _is_dict(stated):
            return f"`targets.{name}` must be an object of counts"
        mine = Counts.of([_counted(m) for m in mutants if m.get("target", "") == name]).to_json()
        problem = _counts_problem(stated, mine, f"targets.{name}")
        if problem is not None:
            return problem
    unknown = sorted({m.get("target", "") for m in mutants} - set(data["targets"]))
    if unknown and data["targets"]:
        return f"mutants of target {unknown[0]!r} are listed, but `targets` does not name it"
    return None


def _counts_problem(stated: dict[str, Any], listed: dict[str, Any], where: str) -> str | None:
    """Counts a report states must equal those of the mutants it lists (a count it omits is not checked,
    except the total)."""
    if "total" not in stated:
        return f"`{where}.total` is missing"
    for key in _COUNTED:
        if key in stated and stated[key] != listed[key]:
            return f"`{where}.{key}` says {stated[key]} but {listed[key]} such mutant(s) are listed"
    return None


def _counted(data: dict[str, Any]) -> Mutant:
    """A listed mutant with just what Counts.of reads (its status and cause), for counting it."""
    return Mutant(
        id="",
        name="",
        target="",
        file="",
        line=0,
        function="",
        status=Status(data["status"]),
        cause=Cause(data["cause"]) if data.get("cause") else None,
    )


def find_mutants(result: RunResult, query: str) -> list[Mutant]:
    """The mutants `gate show QUERY` means: the mutant with that id (or id prefix, 4+ characters), else the
    survivors of the function with that qualname (`Class.method`) or dotted name (`pkg.mod.function`), or
    all its mutants when none survives. ConfigError when nothing matches or an id prefix is ambiguous."""
    by_id = [m for m in result.mutants if m.id == query or (len(query) >= 4 and m.id.startswith(query))]
    if len(by_id) == 1:
        return by_id
    if len(by_id) > 1:
        raise ConfigError(f"id {query!r} is ambiguous: {', '.join(sorted(m.id for m in by_id))}")
    functions = [m for m in result.mutants if query in (m.qualname, f"{module_of(m.name)}.{m.qualname}")]
    if not functions:
        raise ConfigError(f"no mutant id or function {query!r} in the last results ({RESULTS_FILE})")
    survivors = [m for m in functions if m.status in UNDETECTED]
    return survivors or functions
