"""The runner: drives mutmut 3.8 as a subprocess over a selection of mutants and keeps its cache honest.

It never formats output: it reports progress through a callback and failures as RunError (exit 3).
The caller holds the run lock (gate.lock) while it runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from gate.config import GateConfig
from gate.exit_code import RunError
from gate.model import Status
from gate.mutmut.selection import Selection, mangled_function
from gate.mutmut.source_hashes import forget_after_source_changes
from gate.mutmut.state import (
    UNFINISHED_CODES,
    CorruptMeta,
    FileMeta,
    forget_tests,
    read_meta,
    read_stats,
    repair_corrupt_meta,
    reset_verdicts,
    status_of,
)
from gate.mutmut.test_hashes import TestChanges, compare, hash_suite, load_hashes, save_hashes

LOG_FILE = Path(".gate") / "mutmut.log"
POLL_S = 0.5
# How long mutmut gets to stop its workers and write its last verdicts after an interrupt.
STOP_GRACE_S = 10.0
# Verdicts the test-hash rule leaves alone: a detection stays valid while its function is unchanged.
KEPT_WHEN_TESTS_CHANGE = frozenset({Status.KILLED, Status.TIMEOUT, Status.TYPE_ERROR, Status.SKIPPED})


@dataclass(frozen=True)
class Progress:
    """How far a run is: mutants with a verdict out of those it must test, and the verdicts so far."""

    done: int
    total: int
    killed: int
    survived: int
    other: int
    elapsed_s: float


@dataclass
class RunOutcome:
    """What one runner call did."""

    tested: list[str] = field(default_factory=list)  # mutants (re-)tested by this call
    reused: list[str] = field(default_factory=list)  # mutants of the selection whose cached verdict stands
    reset_by_tests: list[str] = field(default_factory=list)  # verdicts dropped because the suite changed
    test_changes: tuple[str, ...] = ()
    ran_mutmut: bool = False
    duration_s: float = 0.0
    log_path: Path | None = None


ProgressCallback = Callable[[Progress], None]


def run(
    config: GateConfig,
    selection: Selection,
    *,
    max_children: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunOutcome:
    """Bring every mutant of `selection` to a verdict, re-testing only what is stale:
    new or changed functions (mutmut's cache), verdicts the test-hash rule dropped, unfinished ones,
    and every mutant named explicitly in the selection."""
    started = time.monotonic()
    root = config.root
    ignore_state_dirs(root)
    all_files = config.mutatable_files()
    repair(config, all_files)
    reset, changes = apply_test_changes(config, all_files)
    before = _snapshot(root, selection.files)

    full = selection.kind in ("all", "targets") and set(all_files) <= set(selection.files)
    if full:
        # Every mutatable file is in scope: plain `mutmut run` tests exactly the mutants without a
        # verdict (new, changed, reset), with no name list to build or match.
        names: list[str] | None = None
    else:
        generate(config, max_children=max_children)
        names = _names_to_test(root, selection)

    outcome = RunOutcome(reset_by_tests=reset, test_changes=changes.changed, log_path=root / LOG_FILE)
    if names is not None and not names and changes.any:
        map_forgotten_tests(config, max_children)
    if names is None or names:
        total = len(names) if names is not None else None
        pending = {name for name, (code, _d, _h) in before.items() if code is None}
        _run_mutmut(config, names or [], max_children, on_progress, selection, total, pending)
        outcome.ran_mutmut = True

    after = _snapshot(root, selection.files)
    for name, (code, duration, fhash) in after.items():
        if not selection.contains(name) or code is None:
            continue
        old = before.get(name)
        if names is not None:
            retested = name in names
        else:
            retested = old is None or old[0] is None or old[1] != duration or old[2] != fhash
        (outcome.tested if retested else outcome.reused).append(name)
    outcome.duration_s = time.monotonic() - started
    return outcome


def run_names(
    config: GateConfig,
    names: list[str] | tuple[str, ...],
    *,
    max_children: int = 1,
    on_progress: ProgressCallback | None = None,
) -> RunOutcome:
    """Re-test exactly these mutants (cached verdicts ignored), e.g. one survivor alone with one worker
    to confirm it is not flaky."""
    from gate.mutmut.selection import for_names

    if not names:
        return RunOutcome()
    selection = for_names(config, names)
    started = time.monotonic()
    ignore_state_dirs(config.root)
    repair(config, list(selection.files))
    _run_mutmut(config, list(names), max_children, on_progress, selection, len(names))
    return RunOutcome(
        tested=list(names),
        ran_mutmut=True,
        duration_s=time.monotonic() - started,
        log_path=config.root / LOG_FILE,
    )


def generate(config: GateConfig, *, max_children: int | None = None) -> dict[str, FileMeta]:
    """Generate the mutants (mutants/, .meta, .spans) without testing any: mutmut's own generation code
    in a subprocess. Functions that changed get null verdicts, exactly as `mutmut run` would do.
    Returns the .meta of every mutated file, keyed by source path."""
    root = config.root
    ignore_state_dirs(root)
    args = [*_entry(config), "generate", "--max-children", str(_children(config, max_children))]
    log = root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(args[1:])}\n")
        handle.flush()
        proc = subprocess.run(
            args, cwd=root, stdout=handle, stderr=subprocess.STDOUT, env=_env(), check=False
        )
    if proc.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace")
        raise RunError(f"mutmut could not generate mutants: {_last_line(text)} (log: {LOG_FILE})")
    metas: dict[str, FileMeta] = {}
    for path in config.mutatable_files():
        meta = _read_or_repair(root, path)
        if meta is not None:
            metas[path] = meta
    return metas


def list_mutants(config: GateConfig, selection: Selection) -> dict[str, list[str]]:
    """The mutant names of a selection by file, after generating them (nothing is tested)."""
    metas = generate(config)
    return {
        path: [name for name in metas[path].exit_code_by_key if selection.contains(name)]
        for path in selection.files
        if path in metas
    }


def ignore_state_dirs(root: Path) -> None:
    """mutants/ and .gate/ each carry a `*` .gitignore: git never lists them, so mutmut's change detection
    never sees its own files as changed sources, whatever the project's own .gitignore says."""
    for name in ("mutants", ".gate"):
        marker = root / name / ".gitignore"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("*\n", encoding="utf-8")


def repair(config: GateConfig, files: list[str]) -> list[str]:
    """Make mutmut's state resumable after a kill: a corrupt .meta is dropped (its file regenerates) and
    verdicts cut short by an interrupt go back to null. Returns the names reset."""
    root = config.root
    for path in files:
        _read_or_repair(root, path)
    return reset_verdicts(root, files, lambda _name, code: code in UNFINISHED_CODES)


def apply_test_changes(config: GateConfig, files: list[str]) -> tuple[list[str], TestChanges]:
    """The test-hash rule. When test files changed since the last run: mutmut forgets which functions the
    edited tests reach (so it records them again), and every verdict that is not a detection goes back to
    null in all mutated files, so each is re-tested by the next run that selects it. Independently, the
    tests that reached a source file edited since the last run are forgotten too, so mutmut maps them
    again (gate.source_hashes)."""
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
    """Let mutmut record the tests the test-hash rule forgot when no mutmut run follows (nothing left to
    test): otherwise the reports would show those tests reaching nothing."""
    _mutmut_entry_call(config, "map", max_children)


def remap_after_source_changes(config: GateConfig, files: list[str]) -> list[str]:
    """After a source edit, the tests that reached the edited files are mapped again at once (they may now
    reach code they never did, e.g. a function split out of the edited one), and every verdict that is
    not a detection in a function that gained tests goes back to null. Returns the names reset."""
    root = config.root
    before = forget_after_source_changes(root, files)
    if before is None:
        return []
    _mutmut_entry_call(config, "map")
    after = read_stats(root).tests_by_function
    grown = {fn for fn, tests in after.items() if not set(tests) <= set(before.get(fn, ()))}
    return reset_verdicts(
        root,
        files,
        lambda name, code: mangled_function(name) in grown and status_of(code) not in KEPT_WHEN_TESTS_CHANGE,
    )


def _mutmut_entry_call(config: GateConfig, command: str, max_children: int | None = None) -> None:
    args = [*_entry(config), command, "--max-children", str(_children(config, max_children))]
    log = config.root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as handle, sigterm_as_interrupt():
        handle.write(f"$ {' '.join(args[1:])}\n")
        handle.flush()
        proc = subprocess.run(
            args, cwd=config.root, stdout=handle, stderr=subprocess.STDOUT, env=_env(), check=False
        )
    if proc.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace")
        raise RunError(f"{classify_failure(text, proc.returncode)} (log: {LOG_FILE})")


@dataclass(frozen=True)
class Preflight:
    """mutmut's own checks before any mutant is tested (mutmut_entry preflight)."""

    clean_exit_code: int
    forced_fail_ok: bool
    duration_by_test: dict[str, float]
    tests_by_function: dict[str, list[str]]


def preflight(config: GateConfig, *, max_children: int | None = None) -> Preflight:
    """Generate the mutants, collect mutmut's test mapping, run the clean suite and the forced-fail check
    exactly as `mutmut run` does, without testing any mutant. RunError when mutmut stops."""
    root = config.root
    args = [*_entry(config), "preflight", "--max-children", str(_children(config, max_children))]
    log = root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as handle, sigterm_as_interrupt():
        handle.write(f"$ {' '.join(args[1:])}\n")
        handle.flush()
        proc = subprocess.run(
            args, cwd=root, stdout=handle, stderr=subprocess.STDOUT, env=_env(), check=False
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    marker = next((line for line in text.splitlines() if line.startswith("GATE-PREFLIGHT ")), None)
    if proc.returncode != 0 or marker is None:
        raise RunError(f"{classify_failure(text, proc.returncode)} (log: {LOG_FILE})")
    data = json.loads(marker.removeprefix("GATE-PREFLIGHT "))
    return Preflight(
        clean_exit_code=int(data["clean_exit_code"]),
        forced_fail_ok=bool(data["forced_fail_ok"]),
        duration_by_test={k: float(v) for k, v in data["duration_by_test"].items()},
        tests_by_function={k: list(v) for k, v in data["tests_by_function"].items()},
    )


def classify_failure(log_text: str, returncode: int) -> str:
    """One line saying why mutmut stopped, from what it printed."""
    text = log_text.replace("\r", "\n")
    if "Filtered for specific mutants, but nothing matches" in text:
        return "no mutant matches the selection"
    if "failed to collect stats. runner returned 5" in text or "no active tests found" in text:
        return "pytest collected no tests (check pytest_add_cli_args_test_selection and [tool.gate] tests)"
    if "failed to collect stats. runner returned" in text or "Failed to run clean test" in text:
        return "the test suite fails without any mutation: fix the failing tests first (python -m pytest)"
    if "Failed to collect list of tests" in text:
        return "pytest could not collect the tests (an import error in a test module?)"
    if "could not find any test case for any mutant" in text:
        return "no test reaches any mutated code: the selected tests never call the target functions"
    if "none match any mutant key" in text:
        return (
            "the tests import the package under a different module path than mutmut mutates "
            "(a pythonpath setting or sys.path edit): use fully qualified imports"
        )
    if "Unable to force test failures" in text:
        return "mutmut's forced-fail check failed: the tests pass even when every function raises"
    if "BadTestExecutionCommandsException" in text:
        return "pytest rejected its command line (exit 4): check pytest_add_cli_args in the mutmut settings"
    return f"mutmut failed (exit {returncode}): {_last_line(text)}"


# -- internals -------------------------------------------------------------------------------------------


def _entry(config: GateConfig) -> list[str]:
    args = [sys.executable, "-m", "gate.mutmut.entry"]
    if config.mutmut.timeout_multiplier is None:
        args += ["--timeout-multiplier", str(config.timeout_multiplier)]
    return args


def _children(config: GateConfig, max_children: int | None) -> int:
    return max_children or config.max_children or os.cpu_count() or 2


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A stray value would make the tests of the clean run behave as if a mutant were active.
    env.pop("MUTANT_UNDER_TEST", None)
    return env


def _default_tests(config: GateConfig) -> list[str]:
    return [s for s in config.mutmut.test_selection if not s.startswith("-")] or ["tests"]


def _read_or_repair(root: Path, path: str) -> FileMeta | None:
    try:
        return read_meta(root, path)
    except CorruptMeta:
        repair_corrupt_meta(root, path)
        return None


Snapshot = dict[str, tuple[int | None, float | None, str | None]]


def _snapshot(root: Path, files: tuple[str, ...] | list[str]) -> Snapshot:
    """name -> (exit code, duration, hash of its function) for the mutants of `files`."""
    snap: Snapshot = {}
    for path in files:
        meta = _read_or_repair(root, path)
        if meta is None:
            continue
        for name, code in meta.exit_code_by_key.items():
            local = name.partition("__mutmut_")[0].rpartition(".")[2]
            snap[name] = (code, meta.durations_by_key.get(name), meta.hash_by_function_name.get(local))
    return snap


def _names_to_test(root: Path, selection: Selection) -> list[str]:
    names: list[str] = []
    found: set[str] = set()
    # Named mutants are re-tested even when cached, except a shard's: it re-uses every valid verdict.
    retest_named = bool(selection.names) and selection.kind != "shard"
    for path in selection.files:
        meta = _read_or_repair(root, path)
        if meta is None:
            continue
        for name, code in meta.exit_code_by_key.items():
            if not selection.contains(name):
                continue
            found.add(name)
            if retest_named or code is None:
                names.append(name)
    missing = set(selection.names) - found
    if missing:
        raise RunError(f"no such mutant: {sorted(missing)[0]} (it may have been renumbered by an edit)")
    return sorted(names)


def _run_mutmut(
    config: GateConfig,
    names: list[str],
    max_children: int | None,
    on_progress: ProgressCallback | None,
    selection: Selection,
    total: int | None,
    pending: set[str] | None = None,
) -> None:
    root = config.root
    args = [*_entry(config), "run", "--max-children", str(_children(config, max_children)), *names]
    log = root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    watcher = _Watcher(root, selection, set(names) if names else None, total, started, on_progress)
    watcher.pending |= pending or set()
    with open(log, "a", encoding="utf-8") as handle, sigterm_as_interrupt():
        handle.write(f"$ {' '.join(args[1:4])} run ... ({len(names) or 'all pending'} mutants)\n")
        handle.flush()
        proc = subprocess.Popen(
            args, cwd=root, stdout=handle, stderr=subprocess.STDOUT, env=_env(), start_new_session=True
        )
        try:
            while proc.poll() is None:
                watcher.poll()
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=POLL_S)
        except BaseException:
            _stop(proc)
            raise
        finally:
            _kill_group(proc)
    watcher.poll()
    if proc.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace")
        raise RunError(f"{classify_failure(text, proc.returncode)} (log: {LOG_FILE})")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask mutmut to stop like Ctrl-C does (it stops its workers; every verdict reached is already
    on disk), then force it if it does not."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
    except ProcessLookupError:
        pass


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """No worker outlives the run: mutmut's forked children share its process group."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:  # public: the pipeline holds it around a whole run
    """SIGTERM (a CI timeout, `kill`) is handled like Ctrl-C: stop cleanly, keep the verdicts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Watcher:
    """Polls the .meta files while mutmut runs and reports progress (mutmut saves each verdict as it lands)."""

    def __init__(
        self,
        root: Path,
        selection: Selection,
        names: set[str] | None,
        total: int | None,
        started: float,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.root, self.selection, self.names = root, selection, names
        self.total, self.started, self.on_progress = total, started, on_progress
        self.pending: set[str] = set(names or ())
        self.mtimes: dict[str, float] = {}
        self.codes: dict[str, int | None] = {}

    def poll(self) -> None:
        if self.on_progress is None:
            return
        for path in self.selection.files:
            file = self.root / "mutants" / (path + ".meta")
            try:
                mtime = file.stat().st_mtime
            except FileNotFoundError:
                continue
            if self.mtimes.get(path) == mtime:
                continue
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue  # caught mid-write: read it on the next poll
            self.mtimes[path] = mtime
            for name, code in data.get("exit_code_by_key", {}).items():
                if self.names is not None and name not in self.names:
                    continue
                if self.names is None and code is None:
                    self.pending.add(name)
                self.codes[name] = code
        done = [self.codes.get(n) for n in self.pending if self.codes.get(n) is not None]
        statuses = [status_of(code) for code in done]
        killed = sum(s in (Status.KILLED, Status.TIMEOUT) for s in statuses)
        survived = sum(s is Status.SURVIVED for s in statuses)
        self.on_progress(
            Progress(
                done=len(done),
                total=self.total if self.total is not None else len(self.pending),
                killed=killed,
                survived=survived,
                other=len(done) - killed - survived,
                elapsed_s=time.monotonic() - self.started,
            )
        )


def _last_line(text: str) -> str:
    for line in reversed(text.replace("\r", "\n").splitlines()):
        line = line.strip()
        if line and not line.startswith("$ "):
            return line[:300]
    return "no output"
