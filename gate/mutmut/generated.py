"""Generation paid once per content: mutmut's mutant generation (a subprocess that imports mutmut and
rewrites `mutants/`) is skipped while nothing it reads has changed since it last ran.

What generation reads: every file under the source paths (it copies them all and mutates some),
mutmut's configuration files, the settings the gate hands it (noise kinds included: generation marks
the noise) and mutmut's version. `.gate/generated.json` keeps the hash of all of them as they were when
the last generation succeeded; the mutated copies and their `.meta` must still be on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
from collections.abc import Sequence
from pathlib import Path

from gate.atomic import StateError, write_text_atomic
from gate.config import GateConfig
from gate.mutmut.state import MUTANTS_DIR

STATE_FILE = Path(".gate") / "generated.json"
_CONFIG_FILES = ("setup.cfg", "pyproject.toml")


def content_key(config: GateConfig, settings: Sequence[str]) -> str:
    """The hash of everything mutmut's generation reads (see the module's docstring)."""
    root = config.root
    digest = hashlib.sha256("\0".join(settings).encode())
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("mutmut").encode())
    files = [root / name for name in _CONFIG_FILES if (root / name).is_file()]
    for source in config.mutmut.source_paths:
        files += _files(root / source)
    for path in sorted(set(files)):
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found: list[Path] = []
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [Path(folder) / name for name in names if not name.endswith((".pyc", ".pyo"))]
    return found


def is_fresh(config: GateConfig, key: str) -> bool:
    """True when the last generation ran on the content of ``key`` and its output is still on disk."""
    try:
        recorded = json.loads((config.root / STATE_FILE).read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError, AttributeError):
        return False
    mutants = config.root / MUTANTS_DIR
    return recorded == key and all(
        (mutants / path).is_file() and (mutants / f"{path}.meta").is_file()
        for path in config.mutatable_files()
    )


def record(config: GateConfig, key: str) -> None:
    """Remember the content (taken before it started) a generation succeeded on; a cache that cannot be
    written is skipped."""
    with contextlib.suppress(StateError):
        write_text_atomic(config.root / STATE_FILE, json.dumps({"key": key}) + "\n")
