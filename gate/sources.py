"""Source texts and history for the renderers that show code or trends (html, stryker).

Renderers read nothing; the commands call `render_inputs` and pass what it returns as options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.model import RunResult
from gate.weekly.history import HISTORY_PATH, History

# Runs shown in the HTML trend: a year of weekly runs.
TREND_RUNS = 52


def read_sources(root: Path, paths: set[str] | list[str]) -> dict[str, str]:
    """Repository-relative path -> text, for each path that exists under ``root`` (others are left out)."""
    sources: dict[str, str] = {}
    for path in sorted(set(paths)):
        file = root / path
        try:
            sources[path] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return sources


def render_inputs(fmt: str, root: Path, result: RunResult) -> dict[str, Any]:
    """The extra options format ``fmt`` renders from: sources of the mutated files (and tests), past runs."""
    if fmt == "stryker":
        tests = {test.split("::", 1)[0] for mutant in result.mutants for test in mutant.tests}
        return {
            "sources": read_sources(root, {m.file for m in result.mutants}),
            "test_sources": read_sources(root, tests),
        }
    if fmt == "html":
        return {
            "sources": read_sources(root, {m.file for m in result.mutants}),
            "runs": History(root / HISTORY_PATH).runs(limit=TREND_RUNS),
        }
    return {}
