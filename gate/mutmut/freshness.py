"""The one cache-freshness protocol: what must happen to mutmut's cache before any scope trusts it.

Full runs, `gate check` and `gate pr` all go through `refresh` (before anything is selected or run) and
`settle` (once it is known whether mutmut will run), in that order, via gate.mutmut.runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gate.config import GateConfig
from gate.model import Status
from gate.mutmut import process
from gate.mutmut.names import function_of
from gate.mutmut.source_hashes import forget_after_source_changes
from gate.mutmut.state import (
    MUTANTS_DIR,
    UNFINISHED_CODES,
    forget_tests,
    read_or_repair,
    read_stats,
    reset_verdicts,
    status_of,
)
from gate.mutmut.test_hashes import TestChanges, compare, hash_suite, load_hashes, save_hashes

# Verdicts the test-hash rule leaves alone: a detection stays valid while its function is unchanged.
KEPT_WHEN_TESTS_CHANGE = frozenset({Status.KILLED, Status.TIMEOUT, Status.TYPE_ERROR, Status.SKIPPED})


@dataclass(frozen=True)
class Freshness:
    """What `refresh` found: the files it covered and the test files that changed."""

    files: list[str]
    changes: TestChanges


def refresh(config: GateConfig) -> Freshness:
    """Make mutmut's cache trustworthy for every mutated file, in this order: its state directories are
    ignored by git, a run cut short is repaired, and the test-hash rule resets what edited tests or sources
    made stale."""
    ignore_state_dirs(config.root)
    files = config.mutatable_files()
    repair(config, files)
    _reset, changes = apply_test_changes(config, files)
    return Freshness(files=files, changes=changes)


def settle(config: GateConfig, fresh: Freshness, *, runs_mutmut: bool, max_children: int | None) -> None:
    """Once the scope is known: when no mutmut run follows, let mutmut record the tests the test-hash rule
    forgot (a run records them itself); otherwise the reports would show those tests reaching nothing."""
    if not runs_mutmut and fresh.changes.any:
        map_forgotten_tests(config, max_children)


def ignore_state_dirs(root: Path) -> None:
    """mutants/ and .gate/ each carry a `*` .gitignore: git never lists them, so mutmut's change detection
    never sees its own files as changed sources, whatever the project's own .gitignore says."""
    for name in (MUTANTS_DIR, ".gate"):
        marker = root / name / ".gitignore"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("*\n", encoding="utf-8")


def repair(config: GateConfig, files: list[str]) -> list[str]:
    """Make mutmut's state resumable after a kill: a corrupt .meta is dropped (its file regenerates) and
    verdicts cut short by an interrupt go back to null. Returns the names reset."""
    root = config.root
    for path in files:
        read_or_repair(root, path)
    return reset_verdicts(root, files, lambda _name, code: code in UNFINISHED_CODES)


def apply_test_changes(config: GateConfig, files: list[str]) -> tuple[list[str], TestChanges]:
    """The test-hash rule. When test files changed since the last run: mutmut forgets which functions the
    edited tests reach (so it records them again), and every verdict that is not a detection goes back to
    null in all mutated files, so each is re-tested by the next run that selects it. Independently, the
    tests that reached a source file edited since the last run are forgotten too, so mutmut maps them
    again (gate.mutmut.source_hashes)."""
    root = config.root
    reset = remap_after_source_changes(config, files)
    hashes = hash_suite(root, config.tests or _default_tests(config))
    changes = compare(load_hashes(root), hashes)
    if changes.any:
        if changes.only_test_modules():
            changed = set(changes.changed)
            forget_tests(root, lambda node: node.split("::", 1)[0] in changed)
        else:
            forget_tests(root, lambda _node: True)
        reset += reset_verdicts(
            root, files, lambda _name, code: status_of(code) not in KEPT_WHEN_TESTS_CHANGE
        )
    if changes.any or changes.first_run:
        save_hashes(root, hashes)
    return reset, changes


def map_forgotten_tests(config: GateConfig, max_children: int | None = None) -> None:
    """Let mutmut record which functions the forgotten tests reach, testing no mutant."""
    done = process.call(config, "map", max_children)
    if done.returncode != 0:
        raise done.failure()


def remap_after_source_changes(config: GateConfig, files: list[str]) -> list[str]:
    """After a source edit, the tests that reached the edited files are mapped again at once (they may now
    reach code they never did, e.g. a function split out of the edited one), and every verdict that is
    not a detection in a function that gained tests goes back to null. Returns the names reset."""
    root = config.root
    before = forget_after_source_changes(root, files)
    if before is None:
        return []
    map_forgotten_tests(config)
    after = read_stats(root).tests_by_function
    grown = {fn for fn, tests in after.items() if not set(tests) <= set(before.get(fn, ()))}
    return reset_verdicts(
        root,
        files,
        lambda name, code: function_of(name) in grown and status_of(code) not in KEPT_WHEN_TESTS_CHANGE,
    )


def _default_tests(config: GateConfig) -> list[str]:
    return [s for s in config.mutmut.test_selection if not s.startswith("-")] or ["tests"]
