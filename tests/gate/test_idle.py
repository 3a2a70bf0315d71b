"""Idle children do not hold a core: the watch's verdicts from CPU samples, /proc read for real, and a
real `gate run` with one worker that starts mutants beside a mutant that hangs waiting, never beside one
that hangs computing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from gate.mutmut.idle import IdleWatch, cpu_seconds
from tests.gate.projects import CALC_SOURCE, Project, make_project


class Samples:
    """A clock and CPU readings the test moves by hand (in binary fractions, so sums are exact)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.used: dict[int, float | None] = {}

    def clock(self) -> float:
        return self.now

    def cpu(self, pid: int) -> float | None:
        return self.used.get(pid)


@pytest.fixture
def samples() -> Samples:
    return Samples()


@pytest.fixture
def watch(samples: Samples) -> IdleWatch:
    return IdleWatch(cpu=samples.cpu, clock=samples.clock, window=0.25, share=0.25)


def test_a_child_is_busy_until_its_first_window_has_passed(samples: Samples, watch: IdleWatch) -> None:
    samples.used[7] = 1.0
    assert watch.idle([7]) == set()
    samples.now += 0.125  # not yet a full window, though no CPU was used
    assert watch.idle([7]) == set()
    samples.now += 0.125
    assert watch.idle([7]) == {7}


def test_a_window_under_the_share_of_one_core_is_idle_and_at_the_share_is_busy(
    samples: Samples, watch: IdleWatch
) -> None:
    samples.used.update({1: 0.0, 2: 0.0})
    watch.idle([1, 2])
    samples.now += 0.5
    samples.used.update({1: 0.124, 2: 0.125})  # 0.25 x 0.5 s = 0.125 s is the line
    assert watch.idle([1, 2]) == {1}


def test_the_verdict_holds_between_windows_and_changes_with_the_next_one(
    samples: Samples, watch: IdleWatch
) -> None:
    samples.used[3] = 0.0
    watch.idle([3])
    samples.now += 0.375
    assert watch.idle([3]) == {3}
    samples.now += 0.125
    samples.used[3] = 0.25  # computing again, but the window is not full: still idle
    assert watch.idle([3]) == {3}
    samples.now += 0.125
    assert watch.idle([3]) == set()


def test_an_unreadable_child_always_counts_and_a_gone_one_is_forgotten(
    samples: Samples, watch: IdleWatch
) -> None:
    samples.used.update({4: None, 5: 0.0})
    watch.idle([4, 5])
    samples.now += 1.0
    assert watch.idle([4, 5]) == {5}
    assert watch.idle([4]) == set()
    samples.now += 1.0
    assert watch.idle([5]) == set()  # back after a gap: a new child with that pid starts busy


def test_cpu_seconds_reads_a_real_process_waiting_and_computing() -> None:
    if cpu_seconds(1) is None:
        pytest.skip("no /proc on this system")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # both past interpreter start-up
        sleeping, spinning = cpu_seconds(sleeper.pid), cpu_seconds(spinner.pid)
        time.sleep(1.0)
        slept, spun = cpu_seconds(sleeper.pid), cpu_seconds(spinner.pid)
        assert sleeping is not None and slept is not None and spinning is not None and spun is not None
        assert slept - sleeping < 0.05
        assert spun - spinning > 0.2  # a core shared with one other process still gives it a good part
    finally:
        for process in (sleeper, spinner):
            process.kill()
            process.wait()
    assert cpu_seconds(sleeper.pid) is None  # reaped: no such process


# The shared `grade` of the e2e projects: mutants that are killed at once, beside the hanging one.
GRADE = "\n\n\n" + CALC_SOURCE[CALC_SOURCE.index("def grade") : CALC_SOURCE.index("\n\ndef untested")]

GRADE_TEST = """


def test_grade():
    assert grade(90) == "A"
    assert grade(89) == "B"
    assert grade(50) == "B"
    assert grade(49) == "C"
"""

# A mutant of `settle` hangs sleeping (`while ready():`); one of `spin` hangs computing (`n += 1`).
WAITING = (
    "import time\n\n\ndef settle(ready):\n    while not ready():\n        time.sleep(0.01)\n    return True\n"
    + GRADE,
    "from pkg.calm import grade, settle\n\n\ndef test_settle():\n    assert settle(lambda: True) is True\n"
    + GRADE_TEST,
)
COMPUTING = (
    "def spin(n):\n    while n > 0:\n        n -= 1\n    return n\n" + GRADE,
    "from pkg.calm import grade, spin\n\n\ndef test_spin():\n    assert spin(3) == 0\n" + GRADE_TEST,
)

BESIDE = "warm workers: up to 2 mutants at once beside idle ones (1 computing)"


def _calm(root: Path, files: tuple[str, str]) -> Project:
    return make_project(
        root,
        source={"calm.py": files[0]},
        tests={"test_calm.py": files[1]},
        fail_under=0,
        gate_extra="max_children = 1",
    )


def _statuses(project: Project) -> dict[str, str]:
    proc = project.gate("run", "--no-causes", "-q", timeout=300)
    assert proc.returncode == 0, proc.stderr
    by_change = {}
    for mutant in project.report()["mutants"]:
        added = [line[1:].strip() for line in mutant["diff"].splitlines() if line.startswith("+ ")]
        by_change[f"{mutant['name'].split('__mutmut_')[0]}: {added[0]}"] = mutant["status"]
    return by_change


def test_one_worker_starts_mutants_beside_one_that_hangs_waiting(tmp_path: Path) -> None:
    project = _calm(tmp_path, WAITING)

    statuses = _statuses(project)

    assert statuses["pkg.calm.x_settle: while ready():"] == "timeout"
    assert statuses["pkg.calm.x_settle: return False"] == "killed"
    assert statuses["pkg.calm.x_settle: time.sleep(1.01)"] == "survived"
    assert BESIDE in (project.root / ".gate" / "mutmut.log").read_text(encoding="utf-8")


def test_one_worker_never_starts_a_second_mutant_beside_one_that_hangs_computing(tmp_path: Path) -> None:
    project = _calm(tmp_path, COMPUTING)

    statuses = _statuses(project)

    assert statuses["pkg.calm.x_spin: n += 1"] == "timeout"
    assert "up to" not in (project.root / ".gate" / "mutmut.log").read_text(encoding="utf-8")
