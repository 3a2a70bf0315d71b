"""mutmut's subprocesses (gate.mutmut.entry): start one, watch its verdicts land, stop it cleanly.

It decides nothing about which mutants to test (gate.mutmut.runner does) and never formats output: it
reports progress through a callback and failures as RunError (exit 3), the log in .gate/mutmut.log.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gate import lifeline
from gate.atomic import StateError
from gate.config import GateConfig
from gate.exit_code import TERMINATED, Interrupted, RunError
from gate.lock import held_fds
from gate.model import Status
from gate.mutmut.entry import UNSUPPORTED
from gate.mutmut.selection import Selection
from gate.mutmut.state import meta_path, status_of

LOG_FILE = Path(".gate") / "mutmut.log"
_WRITE_ERRORS = {errno.EROFS, errno.EACCES, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
POLL_S = 0.5
# How long mutmut gets to stop its workers and write its last verdicts after an interrupt.
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Progress:
    """How far a run is: mutants with a verdict out of those it must test, and the verdicts so far."""

    done: int
    total: int
    killed: int
    survived: int
    other: int
    elapsed_s: float


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Call:
    """One finished entry command: its exit code and everything it printed."""

    returncode: int
    output: str

    def failure(self) -> RunError:
        """The RunError saying why mutmut stopped."""
        return RunError(f"{classify_failure(self.output, self.returncode)} (log: {LOG_FILE})")


def call(
    config: GateConfig, command: str, max_children: int | None = None, operands: tuple[str, ...] = ()
) -> Call:
    """Run one entry command (generate, map, preflight, count) to its end; its output goes to the log."""
    args = [*entry_args(config), command, "--max-children", str(children(config, max_children)), *operands]
    log = config.root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with _open_log(log, "w") as handle, sigterm_as_interrupt():
        handle.write(f"$ {' '.join(args[1:])}\n")
        handle.flush()
        proc = subprocess.run(
            args,
            cwd=config.root,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_env(),
            check=False,
            pass_fds=held_fds(),
        )
    return Call(proc.returncode, log.read_text(encoding="utf-8", errors="replace"))


def run_mutmut(
    config: GateConfig,
    names: list[str],
    max_children: int | None,
    on_progress: ProgressCallback | None,
    selection: Selection,
    total: int | None,
    pending: set[str] | None = None,
    settings: Sequence[str] = (),
) -> None:
    """`mutmut run` over `names` (all pending mutants when empty), watched until it ends and stopped like
    Ctrl-C on any interrupt: every verdict reached stays on disk. ``settings`` go to the entry too (e.g.
    `--line-reach FILE`)."""
    root = config.root
    args = [
        *entry_args(config),
        *settings,
        "run",
        "--max-children",
        str(children(config, max_children)),
        *names,
    ]
    log = root / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    watcher = _Watcher(root, selection, set(names) if names else None, total, started, on_progress)
    watcher.pending |= pending or set()
    with _open_log(log, "a") as handle, sigterm_as_interrupt():
        handle.write(
            f"$ {' '.join(args[1 : args.index('run')])} run ... ({len(names) or 'all pending'} mutants)\n"
        )
        handle.flush()
        proc = subprocess.Popen(
            args,
            cwd=root,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_env(),
            start_new_session=True,
            pass_fds=held_fds(),
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
        raise Call(proc.returncode, log.read_text(encoding="utf-8", errors="replace")).failure()


def children(config: GateConfig, max_children: int | None) -> int:
    """The number of mutmut workers: the option, else [tool.gate] max_children, else one more than the
    CPU count. A warm worker leaves its core idle between two mutants (the result handed back, the next
    fork made); a third worker on 2 cores filled those gaps and took a cold full run of the services from
    335-338 s to 297 s, with the same verdicts (measured, README)."""
    return max_children or config.max_children or (os.cpu_count() or 1) + 1


def classify_failure(log_text: str, returncode: int) -> str:
    """One line saying why mutmut stopped, from what it printed."""
    text = log_text.replace("\r", "\n")
    for line in text.splitlines():
        if line.startswith(UNSUPPORTED + " "):
            return line[len(UNSUPPORTED) + 1 :]
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
    return f"mutmut failed (exit {returncode}): {last_line(text)}"


def last_line(text: str) -> str:
    """The last line mutmut printed (not the gate's own `$ command` line)."""
    for line in reversed(text.replace("\r", "\n").splitlines()):
        line = line.strip()
        if line and not line.startswith("$ "):
            return line[:300]
    return "no output"


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI timeout, `kill`) is handled like Ctrl-C: stop cleanly, keep the verdicts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise Interrupted(TERMINATED)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- internals -------------------------------------------------------------------------------------------


def entry_args(config: GateConfig) -> list[str]:
    """The entry's command line up to its command: the interpreter and the settings handed to mutmut."""
    args = [sys.executable, "-m", "gate.mutmut.entry"]
    if config.mutmut.handed:
        args += ["--settings", json.dumps(config.mutmut.handed, sort_keys=True)]
    if config.mutmut.timeout_multiplier is None:
        args += ["--timeout-multiplier", str(config.timeout_multiplier)]
    if not config.value("warm_workers"):
        args.append("--cold-workers")
    return [*args, "--skip-noise", ",".join(config.noise_kinds)]


@contextmanager
def _open_log(path: Path, mode: str) -> Iterator[IO[str]]:
    """mutmut's log; a log that cannot be opened or written (a full disk, a file over the size limit, a
    read-only tree) is a StateError naming it. The buffered writes fail only when flushed, at the end."""
    try:
        with open(path, mode, encoding="utf-8") as handle:
            yield handle
    except OSError as error:
        if error.errno not in _WRITE_ERRORS:
            raise
        raise StateError(f"cannot write {path}: {error.strerror or error}") from None


def _env() -> dict[str, str]:
    # The child dies with the gate (gate.mutmut.entry reads its parent's pid from it).
    env = lifeline.child_env(os.environ)
    # A stray value would make the tests of the clean run behave as if a mutant were active.
    env.pop("MUTANT_UNDER_TEST", None)
    return env


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
            file = meta_path(self.root, path)
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
