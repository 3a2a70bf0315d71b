"""Finds the lines a change touched: the ranges added or modified between a base ref and the work tree.

`gate pr` tests only the mutants whose mutated line falls in one of these ranges.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.exit_code import ConfigError, RunError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
# Files that are tests or test support, never mutated: a diff touching only these selects nothing.
_TEST_FILE_GLOBS = ("test_*.py", "*_test.py", "conftest.py")


@dataclass
class FileChange:
    """One file's part of the diff: its path now, its path at the base, and the new-side line ranges."""

    path: str  # path in the work tree ('' when deleted)
    old_path: str  # path at the merge base ('' when added)
    status: str  # added | modified | renamed | deleted
    ranges: list[tuple[int, int]] = field(default_factory=list)  # 1-based inclusive, new side

    def contains(self, line: int) -> bool:
        return any(start <= line <= end for start, end in self.ranges)

    @property
    def line_count(self) -> int:
        return sum(end - start + 1 for start, end in self.ranges)


@dataclass
class DiffScope:
    """The changed lines of a work tree against the merge base of a ref, limited to the target files."""

    base: str
    merge_base: str
    files: dict[str, FileChange] = field(default_factory=dict)  # target files with changed lines, by path
    deleted: list[str] = field(default_factory=list)  # target files deleted since the base
    tests_changed: list[str] = field(default_factory=list)  # test files the diff touches
    other_changed: list[str] = field(default_factory=list)  # changed files outside the targets and tests

    def contains(self, path: str, line: int) -> bool:
        change = self.files.get(path)
        return change is not None and change.contains(line)

    @property
    def tests_only(self) -> bool:
        """True when the diff touches tests and no target line: no mutant can be selected."""
        return not self.files and bool(self.tests_changed)

    @property
    def line_count(self) -> int:
        return sum(change.line_count for change in self.files.values())

    def describe(self) -> str:
        """One phrase a reader understands: what the diff covers, or why it selects nothing."""
        if self.files:
            names = len(self.files)
            return (
                f"{self.line_count} changed line{'s' if self.line_count != 1 else ''} in {names} target "
                f"file{'s' if names != 1 else ''} since {self.base} ({self.merge_base[:12]})"
            )
        if self.tests_only:
            count = len(self.tests_changed)
            return f"the change touches only tests ({count} file{'s' if count != 1 else ''})"
        if self.deleted:
            count = len(self.deleted)
            return f"the change only deletes target code ({count} file{'s' if count != 1 else ''})"
        return f"no target file changed since {self.base}"

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "merge_base": self.merge_base,
            "files": {path: [list(r) for r in change.ranges] for path, change in sorted(self.files.items())},
            "renamed": {
                path: change.old_path
                for path, change in sorted(self.files.items())
                if change.status == "renamed"
            },
            "deleted": list(self.deleted),
            "tests_changed": list(self.tests_changed),
            "description": self.describe(),
        }


def _git(root: Path, *args: str) -> str:
    try:
        completed = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )
    except FileNotFoundError as error:
        raise RunError("git is not installed or not on PATH") from error
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()
        raise RunError(
            f"git {args[0]} failed: {message[-1] if message else 'exit ' + str(completed.returncode)}"
        )
    return completed.stdout


def merge_base(root: str | Path, base: str) -> str:
    """The commit where HEAD left `base`; a clear error for an unknown ref or a shallow clone."""
    root = Path(root)
    try:
        _git(root, "rev-parse", "--git-dir")
    except RunError as error:
        if "not a git repository" not in str(error):
            raise
        raise ConfigError(
            f"{root} is not a git repository: `gate pr` compares HEAD with a base ref"
        ) from None
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except RunError as error:
        raise ConfigError(
            f"unknown base ref {base!r}: fetch it first (actions/checkout with fetch-depth: 0)"
        ) from error
    try:
        return _git(root, "merge-base", base, "HEAD").strip()
    except RunError as error:
        raise ConfigError(
            f"no common ancestor between {base!r} and HEAD (a shallow clone? use fetch-depth: 0)"
        ) from error


def _unquote(path: str) -> str:
    """git C-quotes paths with unusual bytes even with core.quotePath=false ("a\\tb", "\\"x\\"")."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("utf-8", "surrogateescape").decode("unicode_escape")
    # unicode_escape decodes octal byte escapes as latin-1 code points: rebuild the UTF-8 bytes.
    return raw.encode("latin-1", "surrogateescape").decode("utf-8", "surrogateescape")


def _strip_prefix(path: str, prefix: str) -> str:
    path = _unquote(path.rstrip("\t"))
    return path[len(prefix) :] if path.startswith(prefix) else path


# One pass over the diff with one branch per kind of line git prints (headers, renames, hunks): split
# into functions, they would all share the file being parsed.
def parse_diff(text: str) -> list[FileChange]:  # noqa: C901
    """Parse `git diff -U0 -M` output into one FileChange per file (new-side ranges only).

    A pure deletion inside a file adds no range: there is no new line left to mutate.
    """
    changes: list[FileChange] = []
    current: FileChange | None = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current = FileChange(path="", old_path="", status="modified")
            changes.append(current)
            continue
        if current is None:
            continue
        if line.startswith("rename from "):
            current.old_path = _unquote(line[len("rename from ") :])
            current.status = "renamed"
        elif line.startswith("rename to "):
            current.path = _unquote(line[len("rename to ") :])
            current.status = "renamed"
        elif line.startswith("new file mode"):
            current.status = "added"
        elif line.startswith("deleted file mode"):
            current.status = "deleted"
        elif line.startswith("--- "):
            old = line[4:]
            if old != "/dev/null":
                current.old_path = _strip_prefix(old, "a/")
        elif line.startswith("+++ "):
            new = line[4:]
            if new != "/dev/null":
                current.path = _strip_prefix(new, "b/")
        elif line.startswith("@@"):
            match = _HUNK.match(line)
            if match is None:
                continue
            start = int(match.group(1))
            count = int(match.group(2)) if match.group(2) is not None else 1
            if count > 0:
                current.ranges.append((start, start + count - 1))
    for change in changes:
        if change.status == "deleted":
            change.path = ""
        elif change.status == "added":
            change.old_path = ""
    return [_merge_ranges(change) for change in changes]


def _merge_ranges(change: FileChange) -> FileChange:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(change.ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    change.ranges = merged
    return change


def is_test_path(path: str, test_roots: Iterable[str] = ()) -> bool:
    """A test or test-support file: under a configured test root, or named like pytest's test files."""
    name = path.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatch(name, pattern) for pattern in _TEST_FILE_GLOBS):
        return True
    parts = path.split("/")
    if "tests" in parts[:-1] or "test" in parts[:-1]:
        return True
    for root in test_roots:
        root = root.rstrip("/")
        if root and (path == root or path.startswith(root + "/")):
            return True
    return False


def _untracked(root: Path) -> list[str]:
    out = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    return [p for p in out.split("\0") if p]


def _line_total(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def changed_lines(
    root: str | Path,
    base: str,
    targets: Iterable[str] | None = None,
    test_roots: Iterable[str] = (),
) -> DiffScope:
    """The lines changed between the merge base of `base` with HEAD and the work tree.

    `targets` are the repository-relative files that may be mutated (None: every .py file that is not a
    test); untracked files under them count as wholly new. Renamed files keep the ranges of their new
    path; deleted files select nothing and are listed.
    """
    root = Path(root)
    base_commit = merge_base(root, base)
    text = _git(root, "diff", "-U0", "-M", "--no-color", "--no-ext-diff", base_commit, "--")
    changes = parse_diff(text)
    for path in _untracked(root):
        total = _line_total(root / path)
        ranges = [(1, total)] if total else []
        changes.append(FileChange(path=path, old_path="", status="added", ranges=ranges))

    target_set = set(targets) if targets is not None else None
    test_roots = tuple(test_roots)

    def is_target(path: str) -> bool:
        if not path:
            return False
        if target_set is not None:
            return path in target_set
        return path.endswith(".py") and not is_test_path(path, test_roots)

    scope = DiffScope(base=base, merge_base=base_commit)
    for change in changes:
        path = change.path or change.old_path
        if change.status == "deleted":
            if is_target(change.old_path):
                scope.deleted.append(change.old_path)
            elif is_test_path(change.old_path, test_roots):
                scope.tests_changed.append(change.old_path)
            else:
                scope.other_changed.append(change.old_path)
        elif is_target(change.path):
            if change.ranges:
                scope.files[change.path] = change
        elif is_test_path(path, test_roots):
            scope.tests_changed.append(path)
        else:
            scope.other_changed.append(path)
    scope.deleted.sort()
    scope.tests_changed.sort()
    scope.other_changed.sort()
    return scope
