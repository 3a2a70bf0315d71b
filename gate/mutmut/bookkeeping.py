"""mutmut's per-mutant bookkeeping at a bounded cost: while mutants run, each meta file is written at most
once a `interval` and the summary line is counted only when it is printed.

mutmut rewrites a file's whole `.meta` (every mutant of the file, indented JSON) after each result, and
counts every mutant of the run to print its summary before each submission: both grow with the run, so
a full run pays for them quadratically, in the one process that hands out the mutants. On the services
(5,075 mutants, 2 workers) a sampling profiler put them at nearly half of that process's CPU time, which
came to 47 CPU-s over the run (32 CPU-s with them bounded). Coalesced, a result reaches its meta file within
`interval` (the gate's progress reads those files every few seconds) and every pending write is made
when the runner shuts down, which mutmut does in a `finally` (a stop by SIGINT included); a process
killed outright loses at most the last `interval` of results, which the next run tests again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

INTERVAL = 1.0  # seconds between two writes of one meta file while mutants run
SUMMARY_INTERVAL = 0.5  # seconds between two counts of the summary line


class CoalescedSaves:
    """Replaces `save` of mutmut's `SourceFileMutationData` (the class, so every instance) while active:
    a save within `interval` of that file's last write only marks it pending."""

    def __init__(
        self, data_class: Any, clock: Callable[[], float] = time.monotonic, interval: float = INTERVAL
    ) -> None:
        self.data_class = data_class
        self.clock = clock
        self.interval = interval
        self.original: Callable[[Any], None] = data_class.save
        self.written: dict[str, float] = {}  # meta path -> when it was last written
        self.pending: dict[str, Any] = {}  # meta path -> the data whose save was put off
        self.writes = 0

    def activate(self) -> None:
        coalesced = self

        def save(data: Any) -> None:
            coalesced.save(data)

        self.data_class.save = save

    def save(self, data: Any) -> None:
        key = str(data.meta_path)
        now = self.clock()
        last = self.written.get(key)
        if last is not None and now - last < self.interval:
            self.pending[key] = data
            return
        self._write(key, data, now)

    def flush(self) -> None:
        """Write every put-off save."""
        for key, data in list(self.pending.items()):
            self._write(key, data, self.clock())

    def deactivate(self) -> None:
        """Write what is pending and give mutmut back its own `save`."""
        try:
            self.flush()
        finally:
            self.data_class.save = self.original

    def _write(self, key: str, data: Any, now: float) -> None:
        self.pending.pop(key, None)
        self.original(data)
        self.written[key] = now
        self.writes += 1


def throttled_summary(
    print_stats: Callable[..., None],
    clock: Callable[[], float] = time.monotonic,
    interval: float = SUMMARY_INTERVAL,
) -> Callable[..., None]:
    """mutmut's `print_stats`, run at most once an `interval` unless its output is forced (the last line
    of a run): it counts every mutant each time, and mutmut calls it before every submission."""
    last = [-interval]

    def print_summary(*args: Any, force_output: bool = False, **kwargs: Any) -> None:
        now = clock()
        if not force_output and now - last[0] < interval:
            return
        last[0] = now
        print_stats(*args, force_output=force_output, **kwargs)

    return print_summary


def bounded(runner: Any, data_class: Any, clock: Callable[[], float] = time.monotonic) -> Any:
    """Coalesce meta writes from `runner.startup()` (mutants about to run) to `runner.shutdown()` (the
    last result in, or a stop): only the process that hands out mutants saves in between, so no forked
    generator or worker can be left holding an unwritten save."""
    saves = CoalescedSaves(data_class, clock)
    startup, shutdown = runner.startup, runner.shutdown

    def started() -> None:
        saves.activate()
        startup()

    def shut() -> None:
        try:
            shutdown()
        finally:
            saves.deactivate()

    runner.startup = started
    runner.shutdown = shut
    return runner
