"""Watching a gate run from outside: its processes (from /proc), its lock, its first verdicts; and a small
project whose mutants keep mutmut's workers busy, so a run can be interrupted in the middle.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from pathlib import Path

from tests.gate.projects import Project, make_project

SLOW_SOURCE = "".join(f"\n\ndef f{i}(x):\n    return x + {i}\n" for i in range(1, 9))
# Each test runs for long only under a mutant (mutmut's timeout then ends it): workers are busy for a
# while, and the stats, clean and forced-fail runs stay quick.
BUSY_TESTS = "import os\nimport time\n\nfrom pkg import slow\n" + "".join(
    f"\n\ndef test_f{i}():\n    if '__mutmut_' in os.environ.get('MUTANT_UNDER_TEST', ''):\n"
    f"        time.sleep(30)\n    assert slow.f{i}(1) == {1 + i}\n"
    for i in range(1, 9)
)


def busy_project(root: Path, tests: str = BUSY_TESTS, children: int = 2) -> Project:
    return make_project(
        root,
        source={"slow.py": SLOW_SOURCE},
        tests={"test_slow.py": tests},
        gate_extra=f"max_children = {children}",
    )


def decided(project: Project, module: str = "slow.py") -> dict[str, int]:
    """mutmut's verdicts so far for `module` (none while its .meta is missing or mid-write)."""
    try:
        codes = project.meta(module)["exit_code_by_key"]
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {name: code for name, code in codes.items() if code is not None}


def wait_for(running: subprocess.Popen[str], ready: object, within_s: float = 90.0) -> None:
    """Poll `ready()` until it is true or the run ends."""
    deadline = time.monotonic() + within_s
    while running.poll() is None and time.monotonic() < deadline and not ready():  # type: ignore[operator]
        time.sleep(0.1)


def processes_in(root: Path) -> list[int]:
    """Processes whose working directory is in `root` (mutmut, its workers and pytest run there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == root or root in cwd.parents:
                found.append(int(entry.name))
    return found


def wait_until_gone(root: Path, within_s: float) -> list[int]:
    """The run's processes still alive after the kernel had `within_s` to deliver the parent-death signals."""
    deadline = time.monotonic() + within_s
    while (left := processes_in(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def lock_is_free(root: Path) -> bool:
    """Whether a new run could take the run lock now."""
    path = root / ".gate" / "run.lock"
    if not path.exists():
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def lock_holders(root: Path) -> list[str]:
    """The processes with the run lock's file open: pid, working directory and command line."""
    lock = (root / ".gate" / "run.lock").resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
            if str(lock) in fds:
                cwd = os.readlink(entry / "cwd")
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name} in {cwd}: {command.strip()}")
        except OSError:
            continue
    return found


def wait_for_free_lock(root: Path, within_s: float) -> list[str]:
    """Empty once the run lock is free; else who still holds it after `within_s`. A killed process drops
    its working directory before the kernel has released its file locks: the lock is free a moment later."""
    deadline = time.monotonic() + within_s
    while not lock_is_free(root):
        if time.monotonic() >= deadline:
            return lock_holders(root) or ["nobody has the file open, yet the lock is taken"]
        time.sleep(0.05)
    return []
