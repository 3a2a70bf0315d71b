"""Preflight checks before a run: config, the package under test imports from the repository, the clean
suite is green, the census loads, and how many mutants and how long a run would take.

By default the mutants are counted in a sample of the files (no mutant written, so it answers in about a
minute on a large project) and the time comes from mutmut's test mapping of an earlier run; `full` runs
mutmut's own preflight instead: every mutant generated, the suite mapped, the forced-fail check.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gate import lifeline
from gate.causes import census
from gate.config import GateConfig, census_selection, serial_pytest_args
from gate.exit_code import RunError
from gate.lock import run_lock
from gate.mutmut.names import function_of, function_prefixes
from gate.mutmut.preflight import Preflight, count_mutants, preflight
from gate.mutmut.process import children
from gate.mutmut.state import read_meta, read_stats

# Wall time mutmut spends per mutant beyond its tests: a fork plus pytest.main (mutmut-notes §7).
OVERHEAD_PER_MUTANT_S = 0.05
# Tests the doctor's census check runs: enough to see the plugin record, few enough for a large suite.
CENSUS_SAMPLE = 50
# Files whose mutants the quick estimate counts (spread over the sorted list); the rest are extrapolated
# by their lines. Counting is parsing: a few seconds for this many files of a few hundred lines.
SAMPLE_FILES = 12
# Lines of a failing clean suite's output doctor shows: enough for the error, short enough to read.
ERROR_LINES = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Diagnosis:
    checks: list[Check] = field(default_factory=list)
    mutants: int = 0
    pending: int = 0
    estimate_s: float = 0.0
    workers: int = 1
    sampled: tuple[int, int] | None = None  # (files counted, files in the targets) of a quick estimate
    timed: bool = True  # False: no test mapping to time the mutants with yet

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def diagnose(config: GateConfig, *, max_children: int | None = None, full: bool = False) -> Diagnosis:
    """Run every check; a failing check is recorded, not raised, so all of them are reported. `full` runs
    mutmut's own preflight (every mutant, the forced-fail check) instead of the sampled estimate."""
    diagnosis = Diagnosis(workers=children(config, max_children))
    files = config.target_files()
    diagnosis.checks.append(
        Check(
            "config",
            True,
            f"{len(config.targets)} target(s), {len(files)} source file(s) "
            f"(source_paths from {config.mutmut.source_origin})",
        )
    )
    diagnosis.checks += [import_check(config, package) for package in packages(config)]
    diagnosis.checks.append(clean_suite_check(config))
    if not diagnosis.checks[-1].ok:
        return diagnosis
    diagnosis.checks.append(census_check(config))
    if not full:
        try:
            sample_estimate(config, files, diagnosis)
        except RunError as error:
            diagnosis.checks.append(Check("mutant count", False, str(error)))
        return diagnosis
    with run_lock(config.root, float(config.value("lock_wait")), what="gate doctor"):
        try:
            result = preflight(config, max_children=max_children)
        except RunError as error:
            diagnosis.checks.append(Check("mutmut preflight", False, str(error)))
            return diagnosis
    diagnosis.checks.append(
        Check(
            "mutmut forced-fail",
            result.forced_fail_ok,
            "the tests fail when every mutated function raises"
            if result.forced_fail_ok
            else "the tests still pass when every mutated function raises: mutmut cannot judge them",
        )
    )
    _estimate(config, files, result, diagnosis)
    return diagnosis


def packages(config: GateConfig) -> list[tuple[str, Path]]:
    """(import name, directory whose parent goes on sys.path) of each top-level package mutmut mutates."""
    found: list[tuple[str, Path]] = []
    for source in config.mutmut.source_paths:
        path = config.root / source
        if (path / "__init__.py").is_file():
            found.append((path.name, path.parent))
        elif path.is_dir():
            found += [
                (child.name, path) for child in sorted(path.iterdir()) if (child / "__init__.py").is_file()
            ]
        elif path.suffix == ".py":
            found.append((path.stem, path.parent))
    return found


def import_check(config: GateConfig, package: tuple[str, Path]) -> Check:
    name, base = package
    code = (
        f"import importlib; m = importlib.import_module({name!r}); print(getattr(m, '__file__', None) or '')"
    )
    env = dict(os.environ)
    env.pop("MUTANT_UNDER_TEST", None)
    if base != config.root:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(base), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        lifeline.wrap([sys.executable, "-c", code]),
        cwd=config.root,
        capture_output=True,
        text=True,
        env=lifeline.child_env(env),
        timeout=120,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Check(f"import {name}", False, f"cannot be imported: {last}")
    location = Path(proc.stdout.strip() or ".").resolve()
    expected = (base / name).resolve()
    if location == expected.with_suffix(".py") or expected in location.parents:
        return Check(f"import {name}", True, f"from {location.relative_to(config.root)}")
    return Check(
        f"import {name}",
        False,
        f"imports from {location}, not from the repository: an installed copy or another module "
        f"shadows it, so the tests would judge that copy (uninstall it or install the project editable)",
    )


def clean_suite_check(config: GateConfig) -> Check:
    tests = [t for t in config.mutmut.test_selection if (config.root / t.split("::")[0]).exists()] or list(
        config.tests
    )
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *tests]
    env = dict(os.environ)
    env.pop("MUTANT_UNDER_TEST", None)
    started = time.monotonic()
    proc = subprocess.run(
        lifeline.wrap(args),
        cwd=config.root,
        capture_output=True,
        text=True,
        env=lifeline.child_env(env),
        timeout=3600,
    )
    elapsed = time.monotonic() - started
    summary = (proc.stdout.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    if proc.returncode == 0:
        return Check("clean suite", True, f"{summary} ({elapsed:.1f} s)")
    detail = "\n".join([summary, *first_error_lines(proc.returncode, proc.stdout, proc.stderr)])
    return Check("clean suite", False, f"python -m pytest {' '.join(tests)} fails: {detail}")


def first_error_lines(returncode: int, stdout: str, stderr: str, limit: int = ERROR_LINES) -> list[str]:
    """The first lines saying why pytest failed: for a usage or internal error (exit 4 or 3: an unknown
    option, a missing plugin) its ERROR lines on stderr, else the `E ` lines of its first ERRORS or
    FAILURES section, else that section's start."""
    if returncode in (3, 4):
        errors = [line for line in stderr.splitlines() if line.strip()]
        first = next((i for i, line in enumerate(errors) if line.startswith("ERROR")), 0)
        return errors[first : first + limit]
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if re.fullmatch(r"=+ (ERRORS|FAILURES) =+", line)), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("===")), len(lines))
    section = [line for line in lines[start + 1 : end] if line.strip()]
    marked = [line for line in section if line.startswith("E ")]
    return (marked or section)[:limit]


def census_check(config: GateConfig, sample: int = CENSUS_SAMPLE) -> Check:
    """The mock census loads into this pytest and records: run on the first ``sample`` tests of the suite
    (the whole suite when smaller), apart from the cached census a run uses."""
    try:
        found = census.collect(
            config.root,
            census_selection(config),
            log_path=config.root / ".gate" / "census.log",
            sample=sample,
            extra_args=serial_pytest_args(),
        )
    except RunError as error:
        return Check("mock census", False, f"{error}: gate run would exit 3 (or use --no-causes)")
    pytest_version = _version("pytest")
    if found.collected and not found.tests:
        return Check(
            "mock census", False, f"pytest {pytest_version} collected tests but the census saw none ran"
        )
    sampled = (
        f"{len(found.tests)} of {found.collected} tests sampled"
        if found.collected > len(found.tests)
        else f"{len(found.tests)} test(s)"
    )
    replaced = len({(r.target, r.site) for r in found.replacements})
    return Check(
        "mock census", True, f"loads under pytest {pytest_version}: {sampled}, {replaced} replacement(s) seen"
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"


def sample_estimate(config: GateConfig, files: list[str], diagnosis: Diagnosis) -> None:
    """Mutants counted in up to SAMPLE_FILES files spread over the targets, extrapolated by lines; the time
    from mutmut's test mapping of an earlier run (mutants/mutmut-stats.json) when there is one: each
    sampled file's mutants cost the mean test time of its mapped functions."""
    step = max(1, len(files) / SAMPLE_FILES)
    sample = sorted({files[int(i * step)] for i in range(min(SAMPLE_FILES, len(files)))})
    counts = count_mutants(config, sample) if sample else {}
    counted = sum(counts.values())
    if len(sample) == len(files):
        diagnosis.mutants = counted
    else:
        sampled_lines = sum(_lines(config.root / f) for f in sample) or 1
        total_lines = sum(_lines(config.root / f) for f in files)
        diagnosis.mutants = round(counted * total_lines / sampled_lines)
    diagnosis.sampled = (len(sample), len(files))
    stats = read_stats(config.root)
    if not stats.tests_by_function or not counted:
        diagnosis.timed = False
        return
    seconds = 0.0
    for file, count in counts.items():
        prefixes = function_prefixes(file)
        per_function = [
            sum(stats.duration_by_test.get(t, 0.0) for t in tests)
            for function, tests in stats.tests_by_function.items()
            if function.startswith(prefixes)
        ]
        seconds += (
            count * (statistics.fmean(per_function) if per_function else 0.0) + count * OVERHEAD_PER_MUTANT_S
        )
    diagnosis.estimate_s = seconds / counted * diagnosis.mutants / max(1, diagnosis.workers)


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8", errors="replace").splitlines())


def _estimate(config: GateConfig, files: list[str], result: Preflight, diagnosis: Diagnosis) -> None:
    total_s = 0.0
    for path in files:
        meta = read_meta(config.root, path)
        if meta is None:
            continue
        for name, code in meta.exit_code_by_key.items():
            diagnosis.mutants += 1
            tests = result.tests_by_function.get(function_of(name), [])
            if code is None:
                diagnosis.pending += 1
            if tests:
                total_s += sum(result.duration_by_test.get(t, 0.0) for t in tests) + OVERHEAD_PER_MUTANT_S
    diagnosis.estimate_s = total_s / max(1, diagnosis.workers)
