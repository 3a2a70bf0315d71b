"""Children that wait rather than compute do not hold a core: the warm runner starts another mutant beside
a child that has been idle for a moment.

A mutant that hangs usually hangs waiting (an event nothing sets any more, a retry loop that sleeps, a
socket that never answers), and it holds its worker slot until its time limit ends it: on the services
such timeouts were a third of all the mutant-seconds of a full run, spent with a core doing nothing. A
plain "more workers than cores" would fill those cores too, but would also slow every CPU-bound suite and
turn slow survivors into false timeouts. Here a child counts against the workers only while it computes:
its CPU time, read from /proc, grew by less than `share` of the wall-clock time over the last `window`
seconds means idle. Where /proc cannot be read (not Linux), every child counts, as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

try:
    _TICKS = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):  # not a POSIX system that names it
    _TICKS = 0


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, every thread) a process has used so far, or None where it cannot be read."""
    if not _TICKS:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after its last ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15
    except (IndexError, ValueError):
        return None


class IdleWatch:
    """Which of the running children are idle, from samples of their CPU time at least `window` apart.

    A child is busy until its first full window has passed; after that it is idle while its last full
    window used less than `share` of one core."""

    def __init__(
        self,
        cpu: Callable[[int], float | None] = cpu_seconds,
        clock: Callable[[], float] = time.monotonic,
        window: float = 0.2,
        share: float = 0.2,
    ) -> None:
        self.cpu = cpu
        self.clock = clock
        self.window = window
        self.share = share
        self._start: dict[int, tuple[float, float]] = {}  # pid -> (wall, cpu) when its window began
        self._idle: dict[int, bool] = {}  # pid -> the verdict of its last full window

    def idle(self, pids: Iterable[int]) -> set[int]:
        now = self.clock()
        alive = set(pids)
        for gone in set(self._start) - alive:
            self._start.pop(gone, None)
            self._idle.pop(gone, None)
        found: set[int] = set()
        for pid in alive:
            used = self.cpu(pid)
            if used is None:
                continue
            begun = self._start.get(pid)
            if begun is None:
                self._start[pid] = (now, used)
                continue
            since, before = begun
            if now - since >= self.window:
                self._idle[pid] = used - before < self.share * (now - since)
                self._start[pid] = (now, used)
            if self._idle.get(pid, False):
                found.add(pid)
        return found
