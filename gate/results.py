"""The last results: `.gate/results.json` (gate-report/1), written atomically and read back.

`gate report`, `gate show`, `gate accept` and the shard planner read it; every completed run and merge
writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate.atomic import write_text_atomic
from gate.exit_code import ConfigError
from gate.model import UNDETECTED, Mutant, RunResult
from gate.mutmut.names import module_of

RESULTS_FILE = Path(".gate") / "results.json"


def write_results(root: Path, result: RunResult, path: Path | None = None) -> Path:
    """Write .gate/results.json (gate-report/1) atomically."""
    target = path or root / RESULTS_FILE
    return write_text_atomic(target, json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")


def load_results(root: Path, path: Path | None = None) -> RunResult:
    """The results of the last run (.gate/results.json, or `path`); ConfigError when missing or unreadable."""
    source = path or root / RESULTS_FILE
    try:
        return RunResult.from_json(json.loads(source.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(f"{source}: no results yet (run `gate run` first)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{source}: not a readable gate report: {error}") from None


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
