"""What the gate hands mutmut reaches mutmut's loaded configuration, through its reader and, when mutmut has
no such reader, by editing the loaded Config: checked in a fresh interpreter (mutmut's config is global)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SETTINGS = {
    "source_paths": ["src"],
    "pytest_add_cli_args_test_selection": ["tests/unit"],
    "also_copy": ["conftest.py"],
    "do_not_mutate": ["src/shop/tests/*"],
}

PROBE = """
import json, sys
import mutmut.configuration as configuration
if sys.argv[1] == "no-reader":  # as if mutmut had changed: the feature check fails, the fallback runs
    configuration.reset_config = None
from gate.mutmut.entry import _apply_settings
_apply_settings(["--settings", sys.argv[2], "run"])
loaded = configuration.config()
print(json.dumps({
    "source_paths": [str(p) for p in loaded.source_paths],
    "resolved": [p.relative_to(p.parents[2]).as_posix() for p in loaded.resolved_mutated_source_paths],
    "selection": loaded.pytest_add_cli_args_test_selection,
    "copied_first": [p.as_posix() for p in loaded.also_copy[:2]],
    "do_not_mutate": loaded.do_not_mutate,
}))
"""


@pytest.mark.parametrize("way", ["reader", "no-reader"])
def test_handed_settings_reach_mutmuts_config(tmp_path: Path, way: str) -> None:
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "setup.cfg").write_text("[mutmut]\nalso_copy =\n    data\n", encoding="utf-8")
    handed = dict(SETTINGS, also_copy=["data", "conftest.py"])
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, way, json.dumps(handed)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.splitlines()[-1])
    assert loaded == {
        "source_paths": ["src"],
        "resolved": [f"{tmp_path.name}/mutants/src"],
        "selection": ["tests/unit"],
        "copied_first": ["data", "conftest.py"],
        "do_not_mutate": ["src/shop/tests/*"],
    }
