"""Progress of a run: a rich bar on a terminal (done/total, killed/survived so far, ETA), a plain line
every few seconds in CI logs. Fed by the runner's callbacks; it never touches mutmut itself.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from gate.mutmut.process import Progress as RunProgress

PLAIN_EVERY_S = 5.0


class ProgressReporter:
    """A context manager whose `update` is the runner's on_progress callback."""

    def __init__(
        self, *, enabled: bool = True, stream: TextIO | None = None, tty: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = (self.stream.isatty() and not in_ci()) if tty is None else tty
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_plain = 0.0
        self._last: RunProgress | None = None

    def __enter__(self) -> ProgressReporter:
        if self.enabled and self.tty:
            self._bar = Progress(
                TextColumn("[bold]mutants"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "[green]{task.fields[killed]} killed[/] [yellow]{task.fields[survived]} survived[/]"
                ),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("mutants", total=None, killed=0, survived=0)
        return self

    def update(self, progress: RunProgress) -> None:
        self._last = progress
        if not self.enabled:
            return
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                completed=progress.done,
                total=progress.total or None,
                killed=progress.killed,
                survived=progress.survived,
            )
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S and progress.total:
            self._last_plain = now
            self.stream.write(plain_line(progress) + "\n")
            self.stream.flush()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.enabled and self._last is not None and self._last.total and exc_type is None:
            self.stream.write(plain_line(self._last) + "\n")
            self.stream.flush()


def in_ci(env: dict[str, str] | None = None) -> bool:
    """CI runners set CI (GitHub, GitLab, ...): their logs want plain lines even behind a pseudo-terminal."""
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def plain_line(progress: RunProgress) -> str:
    """One log line: `gate: 40/120 mutants (33%), 30 killed, 8 survived, 2 other, 12.0 s, ETA 24 s`."""
    percent = 100 * progress.done // progress.total if progress.total else 0
    line = (
        f"gate: {progress.done}/{progress.total} mutants ({percent}%), {progress.killed} killed, "
        f"{progress.survived} survived, {progress.other} other, {progress.elapsed_s:.1f} s"
    )
    if 0 < progress.done < progress.total:
        eta = progress.elapsed_s / progress.done * (progress.total - progress.done)
        line += f", ETA {eta:.0f} s"
    return line
