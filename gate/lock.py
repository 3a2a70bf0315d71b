"""The run lock: one gate run at a time per repository (.gate/run.lock, an OS file lock).

A second run waits up to `wait_s` seconds, then refuses with a message naming the holder; the OS drops
the lock when its holder dies, so a killed run never leaves a stale lock behind. The run's children
inherit the locked descriptor (`held_fds`): the lock stays taken while any of them lives.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gate.exit_code import RunError

LOCK_FILE = Path(".gate") / "run.lock"
# Descriptors of the locks this process holds, for the children to inherit (a flock belongs to the open
# file, so it is released only when every process holding the descriptor has closed it or died).
_held: list[int] = []


def held_fds() -> tuple[int, ...]:
    """The locked descriptors a child of the run must inherit."""
    return tuple(_held)


@contextmanager
def run_lock(root: Path, wait_s: float = 0.0, what: str = "gate run") -> Iterator[None]:
    """Hold the repository's run lock for the duration of the block."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                    raise RunError(
                        f"another gate run is in progress in this repository ({holder}); "
                        f"wait for it to finish (lock: {LOCK_FILE})"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {what}".encode(), 0)
        _held.append(fd)
        try:
            yield
        finally:
            _held.remove(fd)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
