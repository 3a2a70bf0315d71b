"""The last results: `.gate/results.json` (gate-report/1), written atomically and read back.

`gate report`, `gate accept` and the shard planner read it; every completed run and merge writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate.atomic import write_text_atomic
from gate.exit_code import ConfigError
from gate.model import RunResult

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
