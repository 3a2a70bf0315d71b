"""The spine every scope (full run, check, pr) goes through: config -> mutmut freshness -> mutmut run ->
results -> census -> classify -> policy -> render -> publish.

Commands call `execute` (run, explain and judge) and `publish` (write results and reports); nothing here prints.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gate import accept, policy, report
from gate.atomic import StateError, write_text_atomic
from gate.causes import callbacks, census
from gate.causes.classify import CLASSIFIED, classify, unknown_tests
from gate.causes.reach import Reach
from gate.config import GateConfig, census_selection, serial_pytest_args
from gate.exit_code import ConfigError, ExitCode, GateError, Interrupted, RunError
from gate.lock import run_lock
from gate.model import BlindSpot, Mutant, RunResult, Status, Verdict
from gate.mutmut import runner
from gate.mutmut.blindspots import find_blind_spots
from gate.mutmut.names import in_module, mangle
from gate.mutmut.process import ProgressCallback
from gate.mutmut.results import read_results
from gate.mutmut.selection import Selection
from gate.mutmut.state import CorruptMeta, read_meta
from gate.results import write_results
from gate.weekly.history import HISTORY_PATH, History
from gate.witness import observe

# The kinds of selection that cover only part of their files: they report no blind spots.
_PART_OF_FILES = ("function", "names", "changed-lines")
# Runs shown in the HTML trend: a year of weekly runs.
TREND_RUNS = 52


@dataclass
class Execution:
    """One judged run: the results, the verdict, and what the runner did."""

    result: RunResult
    verdict: Verdict
    outcome: runner.RunOutcome
    warnings: list[str] = field(default_factory=list)


def execute(
    config: GateConfig,
    selection: Selection,
    *,
    fail_under: float | None = None,
    max_children: int | None = None,
    on_progress: ProgressCallback | None = None,
    narrow: runner.Narrow | None = None,
    settle: Callable[[list[Mutant]], list[Mutant]] | None = None,
    judge: Callable[[RunResult], Verdict] = policy.judge,
    scope: dict[str, Any] | None = None,
    causes: bool = True,
    witness_budget: float = 0.0,
) -> Execution:
    """Run the selection under the repository's run lock, read, explain and judge the results.

    A narrower scope (a PR's changed lines) adds `narrow` (which mutants, once generated), `settle` (a
    second look at their verdicts, still under the lock), its own `judge`, and its `scope` description.
    A selection without files has no mutant: nothing is locked, refreshed or run.
    ``causes=False`` (``--no-causes``) skips the census: survivors keep no cause and every report says so.
    ``witness_budget`` seconds go to the witnesses of the weak survivors (gate.witness) before judging."""
    started_at = datetime.now(UTC)
    started = time.monotonic()
    check_syntax(config.root, selection.files)
    if selection.files:
        try:
            with run_lock(
                config.root, float(config.value("lock_wait")), what=f"gate {selection.kind} {selection.label}"
            ):
                outcome = runner.run(
                    config,
                    selection,
                    max_children=max_children,
                    on_progress=on_progress,
                    narrow=narrow,
                    line_selection=causes and bool(config.value("line_selection")),
                )
                mutants = read_results(config, outcome.selection)
                if settle is not None:
                    mutants = settle(mutants)
        except KeyboardInterrupt as interrupt:
            raise interrupted(config, selection, interrupt, started_at, started, fail_under) from None
    else:
        outcome, mutants = runner.RunOutcome(selection=selection), []
    reused = set(outcome.reused)
    for mutant in mutants:
        mutant.reused = mutant.name in reused
    warnings = list(config.warnings)
    accepted = accept.load(config.root / accept.ACCEPTED_PATH)
    if causes:
        mutants = assign_causes(config, mutants, warnings, accepted=accepted.keys())
    result = _result(
        config,
        selection,
        mutants,
        (started_at, started),
        fail_under,
        blind_spots=_blind_spots(config, selection),
        retested=len(outcome.tested),
        reused=len(outcome.reused),
        scope=scope,
        causes_computed=causes,
    )
    accept.apply(result, accepted, acceptance_scope(selection))
    if causes and witness_budget > 0:
        observe.attach(config.root, result.mutants, witness_budget, warnings)
    return Execution(result=result, verdict=judge(result), outcome=outcome, warnings=warnings)


def interrupted(
    config: GateConfig,
    selection: Selection,
    interrupt: KeyboardInterrupt,
    started_at: datetime,
    started: float,
    fail_under: float | None = None,
) -> Interrupted:
    """The interrupt to re-raise, carrying the partial result: the verdicts on disk (mutmut keeps each one
    as it lands), no census (it would cost a whole suite run), not judged. No partial result when nothing
    can be read yet (interrupted while mutants were being generated)."""
    code = getattr(interrupt, "exit_code", 130)
    try:
        mutants = read_results(config, selection)
    except (OSError, ValueError, GateError):
        return Interrupted(code)
    return Interrupted(
        code, _result(config, selection, mutants, (started_at, started), fail_under, partial=True)
    )


def _result(
    config: GateConfig,
    selection: Selection,
    mutants: list[Mutant],
    clock: tuple[datetime, float],
    fail_under: float | None,
    **extra: Any,
) -> RunResult:
    """A run's result: its mutants, when it ran (``clock``: start time, monotonic start) and its floors."""
    started_at, started = clock
    return RunResult(
        mutants=mutants,
        commit=git_commit(config.root),
        started=started_at.isoformat(timespec="seconds"),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started,
        target_floors=_floors(config, selection),
        fail_under=fail_under if fail_under is not None else config.fail_under,
        config_fingerprint=config_fingerprint(config),
        selection=selection.kind,
        **extra,
    )


def check_syntax(root: Path, files: Sequence[str]) -> None:
    """Every target file parses, or one line `file:line: message` (exit 2) before anything runs: mutmut
    would otherwise stop on it with its own traceback and never name the file."""
    for path in files:
        try:
            source = (root / path).read_bytes()
        except OSError:
            continue  # a file that went away is the selection's concern, not a syntax error
        try:
            ast.parse(source, filename=path)
        except SyntaxError as error:
            raise ConfigError(f"{path}:{error.lineno or 0}: {error.msg}") from None
        except ValueError as error:  # null bytes
            raise ConfigError(f"{path}: {error}") from None


def acceptance_scope(selection: Selection) -> Callable[[accept.Acceptance], bool] | None:
    """Which acceptances a selection can call stale: all for a full run, those of its files otherwise
    (of its functions for one function; none for explicitly named mutants or changed lines)."""
    if selection.kind == "all":
        return None
    if selection.kind in ("names", "changed-lines"):
        return lambda _entry: False
    files = set(selection.files)
    if selection.kind == "function":
        functions = set(selection.functions)
        return lambda entry: entry.file in files and mangle(entry.file, entry.function) in functions
    return lambda entry: entry.file in files


def assign_causes(
    config: GateConfig,
    mutants: list[Mutant],
    warnings: list[str] | None = None,
    *,
    accepted: Collection[str] = (),
) -> list[Mutant]:
    """The causes stage: the mock census of the judging suite (cached in .gate/) and the classifier.

    A census that cannot run, or that saw none of the tests mutmut ran, raises RunError: results without
    their causes would look complete. ``--no-causes`` is the way to go on knowingly. Survivors whose id
    is in ``accepted`` (reviewed equivalent mutants) need no cause: when they are all there is, the
    census does not run."""
    explained = [m for m in mutants if m.status in CLASSIFIED and m.id not in accepted]
    if not explained:
        return mutants
    # Line reach must be fresh only where a survivor is: a body edit elsewhere costs no suite run.
    survivor_files = {m.file for m in explained}
    try:
        found = census.load_or_collect(
            config.root,
            census_selection(config),
            list(config.mutmut.source_paths),
            log_path=config.root / ".gate" / "census.log",
            extra_args=serial_pytest_args(),
            lines_for=survivor_files,
        )
    except RunError as error:
        raise RunError(f"{error} (or run with --no-causes to go on without causes)") from None
    unknown = unknown_tests(mutants, found)
    ran = {test for m in mutants for test in m.tests}
    if ran and unknown == ran:
        raise RunError(
            f"the mock census saw none of the {len(ran)} test(s) mutmut ran (e.g. {sorted(ran)[0]}): "
            "it ran another suite or rootdir; see .gate/census.log (or run with --no-causes)"
        )
    classify(
        mutants,
        found,
        handoffs=_handoffs(config, mutants),
        reach=Reach.load(found, config.root, survivor_files),
    )
    if unknown and warnings is not None:
        warnings.append(
            f"the mock census did not see {len(unknown)} test(s) mutmut ran (e.g. {sorted(unknown)[0]}): "
            "causes may be incomplete"
        )
    return mutants


def _handoffs(config: GateConfig, mutants: list[Mutant]) -> dict[tuple[str, str], list[callbacks.Handoff]]:
    """Where the files with untested code pass a function as a callback, and the tests' fakes that receive it."""
    sources = {m.file for m in mutants if m.status is Status.NO_TESTS}
    if not sources:
        return {}
    tests = {
        path
        for entry in census_selection(config)
        if not entry.startswith("-")
        for path in census.python_files(config.root / entry.split("::", 1)[0])
    }
    return callbacks.handoffs(config.root, sources, tests)


def publish(
    config: GateConfig,
    result: RunResult,
    outputs: Sequence[tuple[str, Path]] = (),
    *,
    write_state: bool = True,
) -> list[Path]:
    """Write the scope's results file (`results.results_path`) and each requested (format, path) report,
    all atomically. A file that cannot be written is exit 3: the run was under way."""
    written: list[Path] = []
    try:
        if write_state:
            written.append(write_results(config.root, result))
        for fmt, path in outputs:
            written.append(write_text_atomic(path, render(result, fmt, root=config.root)))
    except StateError as error:
        raise StateError(str(error), ExitCode.NOT_JUDGED) from None
    return written


def render(
    result: RunResult,
    fmt: str,
    *,
    verdict: Verdict | None = None,
    fail_under: float | None = None,
    root: Path | None = None,
    **options: Any,
) -> str:
    """`result` as a report in format `fmt` (gate.report). The verdict shown is the one given, else the
    policy's on `result` (`fail_under` overriding its floor); a shard and a partial result are not judged. With `root`, the
    formats that show code or trends get the source texts and past runs read there."""
    if verdict is None and result.shard is None and not result.partial:
        verdict = policy.judge(result, fail_under)
    inputs = render_inputs(fmt, root, result) if root is not None else {}
    return report.render(result, fmt, verdict=verdict, **inputs, **options)


def render_inputs(fmt: str, root: Path, result: RunResult) -> dict[str, Any]:
    """The extra options format ``fmt`` renders from: sources of the mutated files (and tests), past runs.
    Renderers read nothing themselves."""
    if fmt == "stryker":
        tests = {test.split("::", 1)[0] for mutant in result.mutants for test in mutant.tests}
        return {
            "sources": read_sources(root, {m.file for m in result.mutants}),
            "test_sources": read_sources(root, tests),
        }
    if fmt == "html":
        return {
            "sources": read_sources(root, {m.file for m in result.mutants}),
            "runs": History(root / HISTORY_PATH).runs(limit=TREND_RUNS),
        }
    return {}


def read_sources(root: Path, paths: set[str] | list[str]) -> dict[str, str]:
    """Repository-relative path -> text, for each path that exists under ``root`` (others are left out)."""
    sources: dict[str, str] = {}
    for path in sorted(set(paths)):
        file = root / path
        try:
            sources[path] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return sources


def git_commit(root: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def config_fingerprint(config: GateConfig) -> str:
    """A short hash of everything that decides which mutants exist and how they are judged."""
    data = {
        "values": config.values,
        "targets": {n: [list(t.files), t.fail_under] for n, t in config.targets.items()},
        "mutmut": repr(config.mutmut),
        "timeout_multiplier": config.timeout_multiplier,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _floors(config: GateConfig, selection: Selection) -> dict[str, float | None]:
    names = {config.target_of(path) for path in selection.files}
    return {name: config.targets[name].fail_under for name in config.targets if name in names}


def _blind_spots(config: GateConfig, selection: Selection) -> list[BlindSpot]:
    if selection.kind in _PART_OF_FILES:
        return []
    mutated: set[str] = set()
    for path in selection.files:
        try:
            meta = read_meta(config.root, path)
        except CorruptMeta:
            meta = None
        if meta is not None:
            mutated.update(in_module(path, local) for local in meta.hash_by_function_name)
    return find_blind_spots(config.root, selection.files, mutated)
