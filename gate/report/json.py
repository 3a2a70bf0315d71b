"""The JSON renderer: `gate-report/1`, exactly RunResult.to_json (the schema other tools read).

Stable key order and UTF-8 text, so two renders of the same results are byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

from gate.model import RunResult


def render(result: RunResult, **_options: Any) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
