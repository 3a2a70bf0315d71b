"""mutmut's on-disk state under mutants/: the per-file .meta verdicts and mutmut-stats.json.

Plain JSON readers and writers (no mutmut import), so the gate can read and repair them safely.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.atomic import write_text_atomic
from gate.model import Status

MUTANTS_DIR = "mutants"
STATS_FILE = "mutmut-stats.json"

# mutmut.stats.status_by_exit_code, mapped onto the gate's statuses. Codes not listed are suspicious.
_STATUS_BY_EXIT_CODE: dict[int | None, Status] = {
    None: Status.NOT_CHECKED,
    1: Status.KILLED,
    3: Status.KILLED,
    0: Status.SURVIVED,
    5: Status.NO_TESTS,
    33: Status.NO_TESTS,
    2: Status.NOT_CHECKED,  # the check was interrupted: no verdict was reached
    34: Status.SKIPPED,
    36: Status.TIMEOUT,
    24: Status.TIMEOUT,
    -24: Status.TIMEOUT,
    152: Status.TIMEOUT,
    255: Status.TIMEOUT,
    -9: Status.TIMEOUT,  # SIGKILL after the CPU soft limit: a hang
    37: Status.TYPE_ERROR,
}
# Codes that mean "no verdict": an interrupted check, or a worker killed from outside by a signal.
UNFINISHED_CODES = frozenset({2, -2, -15})


def status_of(exit_code: int | None) -> Status:
    """The gate's status for one of mutmut's exit codes."""
    return _STATUS_BY_EXIT_CODE.get(exit_code, Status.SUSPICIOUS)


@dataclass
class FileMeta:
    """One `mutants/<file>.meta`: mutmut's verdicts for the mutants of one source file."""

    path: str  # the source file, repository-relative
    exit_code_by_key: dict[str, int | None] = field(default_factory=dict)
    hash_by_function_name: dict[str, str] = field(default_factory=dict)
    type_check_error_by_key: dict[str, Any] = field(default_factory=dict)
    durations_by_key: dict[str, float] = field(default_factory=dict)
    estimated_durations_by_key: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "exit_code_by_key": self.exit_code_by_key,
            "hash_by_function_name": self.hash_by_function_name,
            "type_check_error_by_key": self.type_check_error_by_key,
            "durations_by_key": self.durations_by_key,
            "estimated_durations_by_key": self.estimated_durations_by_key,
        }


class CorruptMeta(Exception):
    """A .meta file that is not the JSON mutmut wrote (a write cut short by a kill)."""


def meta_path(root: Path, path: str) -> Path:
    return root / MUTANTS_DIR / (path + ".meta")


def mutated_path(root: Path, path: str) -> Path:
    """The mutated copy of a source file: every function with its mutants and trampoline."""
    return root / MUTANTS_DIR / path


def spans_path(root: Path, path: str) -> Path:
    """mutmut's index of the mutated copy: the lines where each generated function starts and ends."""
    return root / MUTANTS_DIR / (path + ".spans")


def read_meta(root: Path, path: str) -> FileMeta | None:
    """The .meta of one source file; None when mutmut has not generated it; CorruptMeta when unreadable."""
    file = meta_path(root, path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CorruptMeta(f"{file}: {error}") from None
    if not isinstance(data, dict) or "exit_code_by_key" not in data:
        raise CorruptMeta(f"{file}: not a mutmut .meta file")
    return FileMeta(
        path=path,
        exit_code_by_key=dict(data.get("exit_code_by_key", {})),
        hash_by_function_name=dict(data.get("hash_by_function_name", {})),
        type_check_error_by_key=dict(data.get("type_check_error_by_key", {})),
        durations_by_key=dict(data.get("durations_by_key", {})),
        estimated_durations_by_key=dict(data.get("estimated_durations_by_key", {})),
    )


def write_meta(root: Path, meta: FileMeta) -> None:
    """Write a .meta in mutmut's format, atomically (mutmut's strict loader must always find valid JSON)."""
    write_text_atomic(meta_path(root, meta.path), json.dumps(meta.to_json(), indent=4))


def repair_corrupt_meta(root: Path, path: str) -> None:
    """Drop a corrupt .meta with its mutated copy, so mutmut regenerates the file's mutants (as new)."""
    meta_path(root, path).unlink(missing_ok=True)
    mutated_path(root, path).unlink(missing_ok=True)
    spans_path(root, path).unlink(missing_ok=True)


def read_or_repair(root: Path, path: str) -> FileMeta | None:
    """The .meta of one source file; a corrupt one is dropped with its mutants (regenerated) and reads as None."""
    try:
        return read_meta(root, path)
    except CorruptMeta:
        repair_corrupt_meta(root, path)
        return None


def reset_verdicts(root: Path, paths: Iterable[str], should_reset: Callable[[str, int], bool]) -> list[str]:
    """Set verdicts back to null (mutmut then re-tests them) where `should_reset(name, code)` holds.
    Returns the names reset."""
    reset: list[str] = []
    for path in paths:
        meta = read_or_repair(root, path)
        if meta is None:
            continue
        changed = False
        for name, code in meta.exit_code_by_key.items():
            if code is not None and should_reset(name, code):
                meta.exit_code_by_key[name] = None
                reset.append(name)
                changed = True
        if changed:
            write_meta(root, meta)
    return reset


@dataclass
class Stats:
    """The parts of mutants/mutmut-stats.json the gate reads: which tests reach which function, how fast."""

    tests_by_function: dict[str, list[str]] = field(default_factory=dict)  # mangled name -> node ids
    duration_by_test: dict[str, float] = field(default_factory=dict)

    def tests_for(self, mangled_function: str) -> list[str]:
        """The tests that reach a function, fastest first (ties by name, for stable output)."""
        tests = self.tests_by_function.get(mangled_function, [])
        return sorted(set(tests), key=lambda t: (self.duration_by_test.get(t, 0.0), t))


def stats_path(root: Path) -> Path:
    return root / MUTANTS_DIR / STATS_FILE


def read_stats(root: Path) -> Stats:
    try:
        data = json.loads(stats_path(root).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return Stats()
    return Stats(
        tests_by_function={k: list(v) for k, v in data.get("tests_by_mangled_function_name", {}).items()},
        duration_by_test={k: float(v) for k, v in data.get("duration_by_test", {}).items()},
    )


def forget_tests(root: Path, should_forget: Callable[[str], bool]) -> int:
    """Remove tests from mutmut's stats, so its next run treats them as new and re-records which
    functions they reach (mutmut never re-maps an edited test by itself). Returns how many were removed."""
    file = stats_path(root)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    except (json.JSONDecodeError, UnicodeDecodeError):
        file.unlink()  # unreadable: mutmut rebuilds the whole mapping
        return 0
    durations: dict[str, float] = data.get("duration_by_test", {})
    mapping: dict[str, list[str]] = data.get("tests_by_mangled_function_name", {})
    forgotten = {t for t in durations if should_forget(t)}
    for tests in mapping.values():
        forgotten.update(t for t in tests if should_forget(t))
    if not forgotten:
        return 0
    data["duration_by_test"] = {t: d for t, d in durations.items() if t not in forgotten}
    data["tests_by_mangled_function_name"] = {
        fn: [t for t in tests if t not in forgotten] for fn, tests in mapping.items()
    }
    write_text_atomic(file, json.dumps(data, indent=4))
    return len(forgotten)
