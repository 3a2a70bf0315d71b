"""Content hashes of the test suite, kept under .gate/, to tell which test files changed since the last run.

mutmut re-tests a function only when its source changes; edited tests are invisible to it. These
hashes are how the gate notices them (see gate.mutmut.freshness.apply_test_changes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from gate.atomic import write_text_atomic

STATE_FILE = Path(".gate") / "test-hashes.json"
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}


@dataclass(frozen=True)
class TestChanges:
    """Test files added, edited or removed since the hashes were last saved."""

    changed: tuple[str, ...]  # repository-relative paths
    first_run: bool  # no hashes were saved before: nothing can be called stale

    @property
    def any(self) -> bool:
        return bool(self.changed)

    def only_test_modules(self) -> bool:
        """True when every change is a test module (test_*.py / *_test.py), so only its own tests need
        re-mapping; a conftest, helper or data file can change what any test does."""
        return all(_is_test_module(path) for path in self.changed)


def _is_test_module(path: str) -> bool:
    name = Path(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def suite_files(root: Path, tests: tuple[str, ...] | list[str]) -> list[str]:
    """Every file of the suite: the files under the `tests` paths, plus the root conftest.py."""
    files: set[str] = set()
    for entry in tests:
        path = root / entry
        if path.is_file():
            files.add(Path(entry).as_posix())
        elif path.is_dir():
            for file in path.rglob("*"):
                if file.is_file() and not _SKIP_PARTS.intersection(file.parts) and file.suffix != ".pyc":
                    files.add(file.relative_to(root).as_posix())
    if (root / "conftest.py").is_file():
        files.add("conftest.py")
    return sorted(files)


def hash_suite(root: Path, tests: tuple[str, ...] | list[str]) -> dict[str, str]:
    return {
        path: hashlib.sha256((root / path).read_bytes()).hexdigest()[:16] for path in suite_files(root, tests)
    }


def load_hashes(root: Path) -> dict[str, str] | None:
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    files = data.get("files")
    return dict(files) if isinstance(files, dict) else None


def save_hashes(root: Path, hashes: dict[str, str]) -> None:
    write_text_atomic(root / STATE_FILE, json.dumps({"files": hashes}, indent=1, sort_keys=True))


def compare(old: dict[str, str] | None, new: dict[str, str]) -> TestChanges:
    if old is None:
        return TestChanges(changed=(), first_run=True)
    changed = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
    return TestChanges(changed=tuple(changed), first_run=False)
