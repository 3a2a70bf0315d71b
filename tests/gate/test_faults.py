"""Fault injection: `kill -9` of `gate run` at seeded random moments, then a run again; a full disk while
reports are written. No fault may leave a wrong answer: the verdicts after the re-run equal an
uninterrupted run's, no file the gate keeps is half-written, no process of the run survives, the lock
is free, and a report that could not be written leaves the previous one intact and says so in one line.

Run with `python -m pytest -m faults tests/gate/test_faults.py` (excluded from the default run).
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gate.results import parse_report
from tests.gate.projects import CALC_TESTS_WEAK, Project, make_project
from tests.gate.run_watch import lock_is_free, wait_for_free_lock, wait_until_gone

pytestmark = [
    pytest.mark.faults,
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 and /proc: Linux"),
]

TRIALS = int(os.environ.get("GATE_FAULT_TRIALS", "20"))
SEED = 15
# The calc project's weak suite scores 38.5%: this floor passes it, so a wrong score would show in the exit.
FLOOR = 30


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """What a run decided: each mutant's status and cause, by stable id."""
    return {m["id"]: (m["status"], m["cause"]) for m in report["mutants"]}


def stale_tests(project: Project, trial: int) -> None:
    """Edit the suite (a comment): every verdict and the census become stale, so the next run does all
    of its work (mutmut's stats, clean run and mutants, the census) for the kill to land in."""
    project.write("tests/test_calc.py", CALC_TESTS_WEAK + f"\n# trial {trial}\n")


def forget_verdicts(project: Project, trial: int) -> None:
    """Clear mutmut's verdicts (as a new function would): the next run tests every mutant again, and
    the cached census and stats are reused: a cheaper run, so more trials fit in CI's time."""
    for meta in (project.root / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["exit_code_by_key"] = dict.fromkeys(data["exit_code_by_key"])
        meta.write_text(json.dumps(data), encoding="utf-8")


# Every fifth trial makes everything stale; the others only the verdicts.
PREPARE = [stale_tests, forget_verdicts, forget_verdicts, forget_verdicts, forget_verdicts]


def timed_run(project: Project) -> float:
    started = time.monotonic()
    proc = project.gate("run", "-q", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - started


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Any], dict[str, float]]:
    """The project, the report of an uninterrupted run, and how long a run takes after each preparation."""
    project = make_project(tmp_path_factory.mktemp("faults"), fail_under=FLOOR)
    first = project.gate("run", "-f", "json", "--no-progress", timeout=300)
    assert first.returncode == 0, first.stderr
    durations = {}
    for prepare in (stale_tests, forget_verdicts):
        prepare(project, -1)
        durations[prepare.__name__] = timed_run(project)
    return project, json.loads(first.stdout), durations


def gate_files_are_whole(root: Path) -> None:
    """Every file the gate keeps is whole: its JSON parses (the results validate), its history passes
    SQLite's integrity check."""
    for path in sorted((root / ".gate").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.name.startswith("results"):
            parse_report(json.dumps(data), str(path))
    history = root / ".gate" / "history.db"
    if history.exists():
        with sqlite3.connect(history) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_kill_9_at_random_moments_never_changes_the_verdicts(
    baseline: tuple[Project, dict[str, Any], dict[str, float]],
) -> None:
    project, expected, durations = baseline
    rng = random.Random(SEED)
    moments = []
    for trial in range(TRIALS):
        prepare = PREPARE[trial % len(PREPARE)]
        prepare(project, trial)
        moment = rng.uniform(0.0, durations[prepare.__name__])
        moments.append(round(moment, 2))
        running = project.popen_gate("run", "-q")
        time.sleep(moment)
        running.send_signal(signal.SIGKILL)
        running.communicate(timeout=60)

        assert wait_until_gone(project.root, within_s=5.0) == [], f"trial {trial} at {moment:.2f} s"
        assert wait_for_free_lock(project.root, within_s=5.0) == [], f"trial {trial} at {moment:.2f} s"
        gate_files_are_whole(project.root)

        rerun = project.gate("run", "-f", "json", "--no-progress", timeout=300)
        assert rerun.returncode == 0, f"trial {trial} at {moment:.2f} s: {rerun.stderr}"
        assert verdicts(json.loads(rerun.stdout)) == verdicts(expected), f"trial {trial} at {moment:.2f} s"
        gate_files_are_whole(project.root)
        for meta in (project.root / "mutants").rglob("*.meta"):
            json.loads(meta.read_text(encoding="utf-8"))
    print(f"\nkill -9 moments (s; runs take {durations}): {moments}")


def limited(root: Path, max_bytes: int, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gate ARGS` with files limited to `max_bytes` (`ulimit -f`): a write past it fails
    as on a full disk (Python ignores SIGXFSZ, so the write raises EFBIG)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {k: v for k, v in os.environ.items() if k not in {"CI", "MUTANT_UNDER_TEST"}}
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "NO_COLOR": "1"},
        preexec_fn=limit,
    )


@pytest.mark.parametrize("fmt", ["html", "json", "sarif"])
def test_a_full_disk_while_writing_a_report_keeps_the_previous_one(
    baseline: tuple[Project, dict[str, Any], dict[str, float]], fmt: str
) -> None:
    project = baseline[0]
    out = project.root / f"report.{fmt}"
    first = project.gate("report", "-q", "-f", fmt, "-o", str(out))
    assert first.returncode == 0, first.stderr
    previous = out.read_bytes()
    results = (project.root / ".gate" / "results.json").read_bytes()

    proc = limited(project.root, len(previous) // 2, "report", "-f", fmt, "-o", str(out))

    assert (proc.returncode, proc.stderr) == (2, f"gate: error: cannot write {out}: File too large\n")
    assert out.read_bytes() == previous
    assert (project.root / ".gate" / "results.json").read_bytes() == results
    assert sorted(p.name for p in project.root.glob(f".report.{fmt}.*")) == []  # no temp file left


def test_a_full_disk_during_a_run_is_one_line_and_keeps_the_last_results(
    baseline: tuple[Project, dict[str, Any], dict[str, float]],
) -> None:
    project = baseline[0]
    gate_dir = project.root / ".gate"
    kept = {path.name: path.read_bytes() for path in gate_dir.glob("results*.json")}
    smallest = min(path.stat().st_size for path in gate_dir.iterdir() if path.stat().st_size > 0)

    proc = limited(project.root, smallest // 2, "run", "-q")

    assert proc.returncode in (2, 3), proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"gate: error: cannot write {gate_dir}/") and line.endswith(": File too large")
    assert {path.name: path.read_bytes() for path in gate_dir.glob("results*.json")} == kept
    assert lock_is_free(project.root)
