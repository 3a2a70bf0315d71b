"""mutmut's fixed costs paid once per content: its clean-suite and forced-fail runs are skipped when no
file of the project changed since they last passed.

Both runs guard every mutant run (the suite passes unmutated; it can fail), and both depend only on the
project's files and mutmut's settings. The key is a hash over every file of the project (path and
content) outside the state directories; `.gate/fixed-costs.json` keeps the key with what passed under it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from gate.atomic import write_text_atomic

CACHE_FILE = Path(".gate") / "fixed-costs.json"
ALL_TESTS = "*"  # the clean run over the whole test selection
_SKIPPED_DIRS = frozenset({"mutants", "node_modules", "__pycache__", "build", "dist", "htmlcov"})


def content_key(root: Path, settings: str = "") -> str:
    """A hash of every file of the project (relative path and bytes) and of `settings`, skipping hidden
    directories, the state directories, caches and virtual environments."""
    digest = hashlib.sha256(settings.encode())
    for path in sorted(_files(root)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and not (Path(folder) / d / "pyvenv.cfg").exists()
        ]
        found += [Path(folder) / name for name in files if not name.endswith((".pyc", ".pyo"))]
    return found


@dataclass
class FixedCosts:
    """What passed under one content key: the clean run over these tests, the forced-fail run."""

    key: str
    clean: set[str] = field(default_factory=set)  # test ids, or ALL_TESTS
    forced_fail: bool = False

    @classmethod
    def load(cls, root: Path, key: str) -> FixedCosts:
        """The record for `key`; an empty one when the files changed or nothing was recorded."""
        try:
            data = json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(key)
        if not isinstance(data, dict) or data.get("key") != key:
            return cls(key)
        return cls(key, set(data.get("clean", [])), bool(data.get("forced_fail", False)))

    def clean_passed(self, tests: list[str]) -> bool:
        """Whether the clean run over `tests` (all of them when empty) passed under this key."""
        return ALL_TESTS in self.clean or (bool(tests) and set(tests) <= self.clean)

    def save(self, root: Path) -> None:
        data = {"key": self.key, "clean": sorted(self.clean), "forced_fail": self.forced_fail}
        write_text_atomic(root / CACHE_FILE, json.dumps(data, indent=1))
