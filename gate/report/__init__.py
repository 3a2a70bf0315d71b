"""Renderers: take results, return text. They never run anything.

Each format is a module of this package with `render(result: RunResult, **options) -> str`.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from gate.exit_code import ConfigError
from gate.model import RunResult

# format name -> module; a format whose module is absent is reported as unavailable, not a crash.
FORMATS: dict[str, str] = {
    "text": "gate.report.text",
    "json": "gate.report.json",
    "markdown": "gate.report.markdown",
    "html": "gate.report.html",
    "stryker": "gate.report.stryker",
    "sarif": "gate.report.sarif",
}


def available_formats() -> list[str]:
    found = []
    for name, module in FORMATS.items():
        if importlib.util.find_spec(module) is not None:
            found.append(name)
    return found


def render(result: RunResult, fmt: str, **options: Any) -> str:
    """Render `result` in format `fmt`; ConfigError for an unknown or unavailable format."""
    module_name = FORMATS.get(fmt)
    if module_name is None or importlib.util.find_spec(module_name) is None:
        raise ConfigError(f"unknown format {fmt!r} (available: {', '.join(available_formats())})")
    module = importlib.import_module(module_name)
    text: str = module.render(result, **options)
    return text
