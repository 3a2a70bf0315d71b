"""Mock census: which test replaces which code, from one run of the judging suite with gate.causes.plugin.

The result is cached in ``.gate/census.json`` under a hash of the tests and of the sources' shape, so it costs
at most one extra suite run, and none while neither changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import lifeline
from gate.atomic import write_text_atomic
from gate.exit_code import RunError
from gate.model import Replacement

SCHEMA = "gate-census/1"
CACHE = Path(".gate") / "census.json"
# pytest exit codes that still leave a usable census: all passed, some failed, none collected.
_USABLE_EXIT = {0, 1, 5}
# The plugin module pytest loads (-p). GATE_CENSUS_PLUGIN names another one: the gate's own tests use it
# to prove that a census which cannot load fails the run instead of dropping every cause.
PLUGIN = "gate.causes.plugin"
# Files besides the .py sources and tests whose change can change what the suite patches.
_CONFIG_FILES = ("conftest.py", "pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini")


@dataclass
class Census:
    """Every replacement active while each test of the judging suite ran.

    ``tests`` lists every test that ran (node ids as mutmut's stats spell them: ``tests/x.py::test_y``);
    ``replacements`` holds one Replacement per (test, target, kind, site).
    """

    tests: list[str] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    fingerprint: str = ""
    inputs: dict[str, str] = field(default_factory=dict)  # what the fingerprint was made of (see `inputs`)
    duration_s: float = 0.0
    exit_status: int = 0
    collected: int = 0  # tests pytest collected; more than ``tests`` when only a sample ran
    # The lines each test executed, per mutated source file: {file: {test: "3-5,9"}} (see gate.causes.reach),
    # and the content digest each of those sources had during the run; both empty when not recorded.
    lines: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    _by_test: dict[str, list[Replacement]] | None = field(default=None, init=False, repr=False, compare=False)

    def of(self, test: str) -> list[Replacement]:
        """The replacements active while ``test`` ran (empty for an unknown test)."""
        if self._by_test is None:
            index: dict[str, list[Replacement]] = {}
            for replacement in self.replacements:
                index.setdefault(replacement.test, []).append(replacement)
            self._by_test = index
        return self._by_test.get(test, [])

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "fingerprint": self.fingerprint,
            "inputs": dict(self.inputs),
            "duration_s": round(self.duration_s, 3),
            "exit_status": self.exit_status,
            "tests": list(self.tests),
            "replacements": [r.to_json() for r in self.replacements],
            "sources": dict(self.sources),
            "lines": {name: dict(tests) for name, tests in self.lines.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Census:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} file (schema: {data.get('schema')!r})")
        return cls(
            tests=list(data.get("tests", [])),
            replacements=[Replacement.from_json(r) for r in data.get("replacements", [])],
            fingerprint=data.get("fingerprint", ""),
            inputs=dict(data.get("inputs", {})),
            duration_s=float(data.get("duration_s", 0.0)),
            exit_status=int(data.get("exit_status", 0)),
            lines={name: dict(tests) for name, tests in data.get("lines", {}).items()},
            sources=dict(data.get("sources", {})),
        )

    def lines_fresh(self, root: Path, files: Iterable[str]) -> bool:
        """True when the line reach of each of ``files`` (repository-relative) was recorded from its present
        content: unlike the census itself, a body edit makes it stale (lines move or change)."""
        return all(self.sources.get(name) == _digest(root / name) for name in files)


def fingerprint(
    root: Path, test_paths: Sequence[str], source_paths: Sequence[str] = (), extra_args: Sequence[str] = ()
) -> str:
    """What the census depends on: the tests, their conftests and the test configuration by content; the
    sources by shape (the names they define and import), so that editing a function body, the usual step
    between two `gate check` runs, costs no new suite run. Plus the plugin, the Python and the pytest version."""
    return _fingerprint(inputs(root, test_paths, source_paths, extra_args))


def _fingerprint(parts: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(parts):
        digest.update(f"{name}\0{parts[name]}\0".encode())
    return digest.hexdigest()[:32]


def inputs(
    root: Path, test_paths: Sequence[str], source_paths: Sequence[str] = (), extra_args: Sequence[str] = ()
) -> dict[str, str]:
    """Each input of the fingerprint and its digest: the run's settings, then one entry per file. Kept in
    the cache, so that a rebuilt census can say which input changed."""
    head = f"{SCHEMA}\0{sys.version}\0{_pytest_version()}\0{' '.join(test_paths)}\0{' '.join(extra_args)}"
    parts = {
        "<settings>": hashlib.sha256(head.encode()).hexdigest()[:16],
        "<census plugin>": hashlib.sha256(Path(__file__).with_name("plugin.py").read_bytes()).hexdigest()[
            :16
        ],
    }
    tests: set[Path] = {root / name for name in _CONFIG_FILES if (root / name).is_file()}
    for entry in test_paths:
        tests.update(python_files(root / entry))
        for parent in (root / entry).parents:  # conftests above a test directory apply to it too
            if (parent / "conftest.py").is_file():
                tests.add(parent / "conftest.py")
            if parent == root:
                break
    sources = {path for entry in source_paths for path in python_files(root / entry)} - tests
    for path in sorted(tests | sources):
        data = source_shape(path) if path in sources else hashlib.sha256(path.read_bytes()).digest()
        parts[path.relative_to(root).as_posix()] = data.hex()[:16]
    return parts


def _pytest_version() -> str:
    try:
        return importlib.metadata.version("pytest")
    except importlib.metadata.PackageNotFoundError:
        return ""


def source_shape(path: Path) -> bytes:
    """A digest of what a census can see of a source module: its classes and functions (by qualified
    name), its imports and its module-level names. Bodies are left out."""
    data = path.read_bytes()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return hashlib.sha256(data).digest()
    parts: list[str] = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                parts.append(f"def {prefix}{node.name}")
            elif isinstance(node, ast.ClassDef):
                parts.append(f"class {prefix}{node.name}({', '.join(ast.unparse(b) for b in node.bases)})")
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                # Aliases (`helper = other.helper`) decide what a patch replaces; other values do not.
                aliased = isinstance(node.value, (ast.Name, ast.Attribute))
                parts.append(ast.unparse(node) if aliased else ast.unparse(node).split("=", 1)[0])

    visit(tree.body, "")
    return hashlib.sha256("\n".join(parts).encode()).digest()


def source_digests(root: Path, source_paths: Sequence[str]) -> dict[str, str]:
    """{repository-relative path: content digest} of every Python file of the mutated sources."""
    files = sorted({path for entry in source_paths for path in python_files(root / entry)})
    return {path.relative_to(root).as_posix(): _digest(path) for path in files}


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


# Folders whose files are no input of the suite: caches, mutmut's copy of the project, environments.
_NOT_INPUT = frozenset({"__pycache__", "mutants", "node_modules", "site-packages", "venv"})


def python_files(path: Path) -> set[Path]:
    """The .py files of a file or directory (none for a path that does not exist), without those under
    hidden folders (.gate, .venv, .tox, .git), mutmut's mutants/ copy and environments."""
    if path.is_file():
        return {path}
    if path.is_dir():
        return {
            p
            for p in path.rglob("*.py")
            if not any(part in _NOT_INPUT or part.startswith(".") for part in p.relative_to(path).parts[:-1])
        }
    return set()


def collect(
    root: Path,
    test_paths: Sequence[str],
    *,
    log_path: Path,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    sample: int | None = None,
    line_paths: Sequence[str] = (),
) -> Census:
    """Run the judging suite once under the census plugin and return what it recorded.

    ``test_paths`` is pytest's selection as mutmut's ``pytest_add_cli_args_test_selection`` gives it
    (paths, and options such as ``-m "not slow"``); ``extra_args`` go before it.
    pytest runs from ``root`` with ``--rootdir=.`` as mutmut does, so node ids match mutmut's stats.
    Failing tests do not spoil the census; a run that cannot start raises RunError naming ``log_path``
    and the reason found in it. ``sample`` runs only the first N collected tests (doctor's check).
    ``line_paths`` (the mutated sources) also records, in the same run, the lines each test executes there.
    """
    root = root.resolve()
    out = root / ".gate" / "census.run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    command = [
        python, "-m", "pytest", "--rootdir=.", "-q", "-p", plugin_module(), f"--gate-census-out={out}",
        *([f"--gate-census-sample={sample}"] if sample else []),
        *(f"--gate-census-lines={path}" for path in line_paths),
        "-p", "no:randomly", "-p", "no:random-order", "-p", "no:cacheprovider",
        *extra_args, *test_paths,
    ]  # fmt: skip
    # MUTANT_UNDER_TEST="" is mutmut's clean run: the suite sees the environment it is judged in.
    env = {**os.environ, "MUTANT_UNDER_TEST": ""}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    digests = source_digests(root, line_paths) if line_paths else {}
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        returncode = subprocess.run(
            lifeline.wrap(command),
            cwd=root,
            env=lifeline.child_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        ).returncode
    duration = time.perf_counter() - started
    if returncode not in _USABLE_EXIT or not out.is_file():
        reason = failure_reason(log_path.read_text(encoding="utf-8", errors="replace"))
        raise RunError(
            f"the mock census could not run (pytest exit {returncode}: {reason}); see {_shown(log_path, root)}"
        )
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
    except (OSError, ValueError) as error:
        raise RunError(
            f"the mock census wrote no readable result ({error}); see {_shown(log_path, root)}"
        ) from None
    return Census(
        tests=list(data["tests"]),
        replacements=[Replacement.from_json(r) for r in data["replacements"]],
        duration_s=duration,
        exit_status=int(data["exit_status"]),
        collected=int(data.get("collected", len(data["tests"]))),
        lines=dict(data.get("lines", {})),
        sources=digests,
    )


def plugin_module() -> str:
    return os.environ.get("GATE_CENSUS_PLUGIN") or PLUGIN


def failure_reason(log: str) -> str:
    """The line of a pytest log that says why the run failed: the last exception pytest printed
    (``E   ImportError: ...`` or a bare ``ImportError: ...`` from loading a plugin), else its last line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    exception = re.compile(r"^(?:E\s+)?([\w.]*(?:Error|Exception|Unsupported)): (.+)$")
    for line in reversed(lines):
        match = exception.match(line)
        if match:
            return f"{match.group(1)}: {match.group(2)}"[:300]
    return (lines[-1] if lines else "no output")[:300]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def load_or_collect(
    root: Path,
    test_paths: Sequence[str],
    source_paths: Sequence[str],
    *,
    log_path: Path,
    extra_args: Sequence[str] = (),
    cache_path: Path | None = None,
    lines_for: Collection[str] | None = None,
) -> Census:
    """The census of ``test_paths`` over ``source_paths``, with the lines each test runs in those sources:
    from the cache while its fingerprint holds (see ``fingerprint``) and the line reach of ``lines_for``
    (repository-relative files; None: every source) was recorded from their present content; else one
    run of the suite that records both. A body edit in a file without survivors costs no run.

    ``cache_path`` defaults to ``root/.gate/census.json``; it is rewritten atomically after a run.
    """
    root = root.resolve()
    cache = cache_path or root / CACHE
    parts = inputs(root, test_paths, source_paths, extra_args)
    key = _fingerprint(parts)
    cached = _read(cache)
    if (
        cached is not None
        and cached.fingerprint == key
        and cached.lines_fresh(root, source_digests(root, source_paths) if lines_for is None else lines_for)
    ):
        return cached
    census = collect(root, test_paths, log_path=log_path, extra_args=extra_args, line_paths=source_paths)
    reason = rebuild_reason(cached, parts)
    # A suite that writes into its own test folders (generated modules, fixtures) would otherwise find
    # its inputs changed on every run: the cache keys on the files as the run left them.
    after = inputs(root, test_paths, source_paths, extra_args)
    if after != parts:
        reason += f"; the suite changed {_changed(parts, after)} while it ran (the cache keeps them as it left them)"
        parts, key = after, _fingerprint(after)
    census.fingerprint, census.inputs = key, parts
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"gate: census rebuilt: {reason}\n")
    write_text_atomic(cache, json.dumps(census.to_json(), indent=1) + "\n")
    return census


def rebuild_reason(cached: Census | None, parts: dict[str, str]) -> str:
    """Why the cached census could not serve: none yet, or the inputs that changed since it was made."""
    if cached is None:
        return "no cached census"
    if not cached.inputs:
        return "the cached census predates its input list"
    return f"{_changed(cached.inputs, parts)} changed"


def _changed(before: dict[str, str], after: dict[str, str]) -> str:
    """``N input(s): a, b, c`` (at most five named)."""
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return f"{len(changed)} input(s): {shown}"


def _read(path: Path) -> Census | None:
    """The cached census, or None when there is none or it is unreadable (it is then rebuilt)."""
    try:
        return Census.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
