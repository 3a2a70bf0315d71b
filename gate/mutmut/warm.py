"""Warm workers: the judging suite is collected once, and every mutant runs in a fork of that collected
pytest session, so no mutant pays pytest's start-up, plugin loading and collection again.

mutmut 3.8's fork runner forks its own process per mutant and calls `pytest.main` in the child: about
40 ms before the first test runs. Here mutmut's process forks one server, which runs `pytest.main` over
mutmut's test selection with a plugin whose `pytest_runtestloop` never runs the suite: it waits for
mutants, and for each one forks a child that activates the mutant and runs the mutant's tests from the
collected items (killer-first, then cheapest first, stopping at the first failure, as mutmut's `-x`
does). The child's exit code is pytest's (0 passed, 1 failed), so verdicts, timeouts (mutmut's watchdog
and CPU limit) and mutmut's bookkeeping stay mutmut's. When the server cannot collect, or dies, the
mutants go back to mutmut's own runner.

Only `gate.mutmut.entry` imports this module (in mutmut's process); pytest's API used here is public
(`pytest.main`, hooks, `Item.ihook`), but for the basetemp made once before forking (gate.mutmut.basetemp).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mutmut.configuration import config
from mutmut.state import state
from mutmut.workers.isolation import MutantResult, MutantRunner
from mutmut.workers.timeout import register_timeout

from gate.mutmut import basetemp, phases, schedule
from gate.mutmut.idle import IdleWatch
from gate.mutmut.killers import Killers
from gate.mutmut.limits import cpu_limits, per_test_limits
from gate.mutmut.names import function_of

# Messages between mutmut's process and the server: one JSON object per line.
READY, FAILED, STARTED, DONE, KILLER = "ready", "failed", "started", "done", "killer"
# pytest's exit codes a child ends with.
PASSED, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR = 0, 1, 2, 3
# The exit code mutmut reads as a timeout (its CPU limit's SIGXCPU).
TIMEOUT = -int(signal.SIGXCPU)
# Children alive at most, per worker, counting the idle ones (gate.mutmut.idle); and how often a mutant
# waiting for a slot looks again whether a running child went idle.
ALIVE_PER_WORKER = 2
POLL = 0.05


class Channel:
    """Line-delimited JSON over a pipe: writes whole lines, reads them back one at a time."""

    def __init__(self, read_fd: int | None = None, write_fd: int | None = None) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._buffer = b""

    def send(self, message: Mapping[str, Any]) -> None:
        assert self.write_fd is not None
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.write_fd, data) :]

    def lines(self) -> list[dict[str, Any]]:
        """Every complete line buffered so far, without reading."""
        found: list[dict[str, Any]] = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            found.append(json.loads(line))
        return found

    def fill(self) -> bool:
        """Read what the pipe holds (blocking until something does); False at end of file."""
        assert self.read_fd is not None
        data = os.read(self.read_fd, 65536)
        self._buffer += data
        return bool(data)

    def waiting(self, timeout: float) -> bool:
        """Whether a message can be received without blocking, after waiting up to `timeout` seconds."""
        assert self.read_fd is not None
        return b"\n" in self._buffer or bool(select.select([self.read_fd], [], [], timeout)[0])

    def receive(self) -> dict[str, Any] | None:
        """The next message, blocking; None when the other end closed."""
        while b"\n" not in self._buffer:
            if not self.fill():
                return None
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.read_fd = self.write_fd = None


def pytest_args(test_selection: Iterable[str], extra: Iterable[str]) -> list[str]:
    """The server's pytest command line: mutmut's own for a mutant (`PytestRunner`), without `-x` (each
    child stops at its first failure itself) and over the whole selection, to collect every test once."""
    return [
        "--rootdir=.",
        "--tb=native",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:random-order",
        *test_selection,
        *extra,
    ]


def run_items(
    items: list[Any],
    failed: Callable[[], bool],
    stop: Callable[[], bool],
    limits: Sequence[float] = (),
    cpu_limits: Sequence[float] = (),
) -> int:
    """Run collected pytest items in order, as one pytest run with `-x` would: fixtures of every scope
    set up once and torn down after the last item (a failing teardown fails the run); stops at the first
    failure. Returns pytest's exit code.

    ``limits`` (seconds, one per item) arm a wall-clock alarm for each item: an item that outlives its own
    limit ends the process by SIGALRM, which the server reports as a timeout (mutmut's watchdog bounds the
    whole mutant as well). ``cpu_limits`` (CPU seconds of the process, one per item, 0 for none) arm a
    CPU-time timer the same way: an item that spends more ends the process by SIGPROF, also a timeout."""
    import pytest

    try:
        for index, item in enumerate(items):
            after = items[index + 1] if index + 1 < len(items) else None
            if index < len(limits):
                signal.setitimer(signal.ITIMER_REAL, max(limits[index], 0.001))
            if index < len(cpu_limits):
                signal.setitimer(signal.ITIMER_PROF, max(cpu_limits[index], 0.0))
            item.ihook.pytest_runtest_protocol(item=item, nextitem=after)
            if failed():
                return TESTS_FAILED
            if stop():
                break
    except pytest.exit.Exception as exit_:
        return int(exit_.returncode) if exit_.returncode is not None else INTERRUPTED
    except KeyboardInterrupt:
        return INTERRUPTED
    except BaseException:  # a plugin's hook crashing: pytest would report an internal error
        return INTERNAL_ERROR
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
    return TESTS_FAILED if failed() else PASSED


class Server:
    """The pytest plugin of the server process: collects, then serves mutants until mutmut's process
    closes the job pipe."""

    def __init__(
        self, jobs: Channel, results: Channel, activate: Callable[[str], None], extra: list[str]
    ) -> None:
        self.jobs = jobs
        self.results = results
        self.activate = activate  # makes a mutant the active one (mutmut's set_mutant_under_test)
        self.extra = extra  # mutmut's pytest_add_cli_args
        self.served = False
        self._killer: str | None = None  # the first failing test of this child's mutant

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed and self._killer is None:
            self._killer = report.nodeid

    def pytest_runtestloop(self, session: Any) -> bool:
        if session.testsfailed:  # collection errors: mutmut's own runner reports them per mutant
            self.results.send({FAILED: f"{session.testsfailed} collection error(s)"})
            return True
        items = {item.nodeid: item for item in session.items}
        temp_root = basetemp.prime(session.config, session.items)
        import gc

        gc.collect()
        gc.freeze()  # children share the collected session's pages instead of touching them
        self.served = True
        self.results.send({READY: len(items), "basetemp": temp_root})
        self._serve(session, items)
        return True

    def _serve(self, session: Any, items: dict[str, Any]) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        previous = signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        running: dict[int, tuple[str, float]] = {}
        jobs = self.jobs.read_fd
        assert jobs is not None
        open_ = True
        try:
            while open_ or running:
                watched = [wake_r, jobs] if open_ else [wake_r]
                ready, _, _ = select.select(watched, [], [])
                if wake_r in ready:
                    while True:
                        try:
                            if not os.read(wake_r, 512):
                                break
                        except BlockingIOError:
                            break
                self._reap(running)
                if open_ and jobs in ready:
                    open_ = self.jobs.fill()
                    for job in self.jobs.lines():
                        pid = self._fork(session, items, job, (wake_r, wake_w))
                        running[pid] = (job["name"], time.monotonic())
                        self.results.send({STARTED: job["name"], "pid": pid})
        finally:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.set_wakeup_fd(previous)
            os.close(wake_r)
            os.close(wake_w)

    def _reap(self, running: dict[int, tuple[str, float]]) -> None:
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in running:
                name, started = running.pop(pid)
                code = os.waitstatus_to_exitcode(status)
                if code in (-signal.SIGALRM, -signal.SIGPROF):  # a test outlived its own limit (run_items)
                    code = TIMEOUT
                self.results.send({DONE: name, "exit_code": code, "duration": time.monotonic() - started})

    def _fork(self, session: Any, items: dict[str, Any], job: dict[str, Any], wake: tuple[int, int]) -> int:
        pid = os.fork()
        if pid != 0:
            return pid
        code = INTERNAL_ERROR
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in wake:
                os.close(fd)
            self.jobs.close()
            code = self._child(session, items, job)
            message = {KILLER: job["name"], "test": self._killer}
            # Only a line under PIPE_BUF is written whole beside the server's own lines (a test id of
            # thousands of characters is left out); it is written before the server sees this child end.
            if self._killer is not None and len(json.dumps(message)) < select.PIPE_BUF:
                self.results.send(message)
        finally:
            os._exit(code)

    def _child(self, session: Any, items: dict[str, Any], job: dict[str, Any]) -> int:
        self.activate(job["name"])
        limit = int(job["cpu_limit"]) + int(time.process_time())
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
        tests: list[str] = job["tests"]
        selected = [items.get(test) for test in tests]
        if any(item is None for item in selected):
            # A test the collection does not know by that id: mutmut's own way, a nested pytest run.
            import pytest

            return int(pytest.main(["-x", *pytest_args(tests, self.extra)]))
        self._killer = None
        # SIGALRM's and SIGPROF's default action ends the process at once, whatever the test is doing.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        return run_items(
            [item for item in selected if item is not None],
            lambda: self._killer is not None,
            lambda: bool(session.shouldstop or session.shouldfail),
            job.get("limits", ()),
            job.get("cpu_limits", ()),
        )


def serve(jobs_fd: int, results_fd: int) -> None:
    """The server process (forked from mutmut's): collect mutmut's test selection in `mutants/`, serve
    mutants, exit. Its own output goes nowhere: mutmut's children print nothing either."""
    results = Channel(write_fd=results_fd)
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.chdir("mutants")
        import pytest
        from mutmut.configuration import config
        from mutmut.mutation.trampoline import set_mutant_under_test

        settings = config()
        extra = list(settings.pytest_add_cli_args)
        server = Server(Channel(read_fd=jobs_fd), results, set_mutant_under_test, extra)
        code = pytest.main(pytest_args(settings.pytest_add_cli_args_test_selection, extra), plugins=[server])
        if not server.served:
            results.send({FAILED: f"pytest ended with exit code {int(code)} before serving"})
    except BaseException as error:  # anything: mutmut's own runner takes over
        results.send({FAILED: f"{type(error).__name__}: {error}"})
    finally:
        os._exit(0)


class WarmRunner(MutantRunner):
    """mutmut's runner interface over the server: `submit` hands a mutant to the server, which forks
    its child; results come back in the order children end. Everything else (stats, the clean and
    forced-fail runs) and every mutant after a server failure goes to mutmut's own runner, `base`.

    Up to `schedule.LOOKAHEAD` mutants wait here for a slot (`_queue`): a slot is free while fewer than
    `max_workers` children compute, idle ones not counted, up to ALIVE_PER_WORKER x `max_workers`
    children alive. A free slot takes the mutant `schedule.pick` names, and its tests are ordered then,
    killer-first from every result in so far."""

    def __init__(
        self, base: MutantRunner, max_workers: int, root: Path, idle: IdleWatch | None = None
    ) -> None:
        self.base = base
        self.max_workers = max_workers
        self.root = root
        self.killers = Killers.load(root)  # killer-first order of each mutant's tests
        self.idle = idle or IdleWatch()
        self.cold = False
        self._server: int | None = None
        self._jobs = Channel()
        self._results = Channel()
        self._running: dict[str, dict[str, Any]] = {}  # name -> its job, until its result arrives
        self._queue: list[dict[str, Any]] = []  # taken from mutmut, not yet handed to the server
        self._in_flight: Counter[str] = Counter()  # mangled function -> its mutants handed to the server
        self._pids: dict[str, int] = {}
        self._done: list[MutantResult] = []
        self.most_alive = 0  # the most children alive at once, for the log
        self._phases: phases.Phases | None = None  # read at the first mutant, after any stats run

    # -- the server -----------------------------------------------------------------------------------

    def startup(self) -> None:
        self.base.startup()
        jobs_r, jobs_w = os.pipe()
        results_r, results_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(jobs_w)
            os.close(results_r)
            serve(jobs_r, results_w)
        os.close(jobs_r)
        os.close(results_w)
        self._server = pid
        self._jobs = Channel(write_fd=jobs_w)
        self._results = Channel(read_fd=results_r)
        first = self._results.receive()
        if first is None or READY not in first:
            reason = first.get(FAILED, "no answer") if first else "the server ended"
            self._go_cold(f"warm workers off ({reason}): each mutant starts pytest itself")
        else:
            print(f"warm workers: {first[READY]} tests collected once", flush=True)
            if first.get("basetemp"):
                print(f"warm workers: one temporary root for every mutant: {first['basetemp']}", flush=True)

    def _go_cold(self, why: str) -> None:
        print(why, flush=True)
        self.cold = True
        self._jobs.close()
        self._results.close()
        if self._server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._server, signal.SIGKILL)
            os.waitpid(self._server, 0)  # reaped here: mutmut's runner waits for any child
            self._server = None
        lost, self._running, self._queue = list(self._running.values()), {}, []
        self._in_flight = Counter()
        for job in lost:  # the server died under these: mutmut's runner tests them again
            while not self.base.has_capacity():
                self._done.append(self.base.wait_for_result())
            self.base.submit(job["name"], job["tests"], job["cpu_limit"], job["estimate"])

    def _pump(self) -> None:
        """Handle the server's next message (blocking)."""
        message = self._results.receive()
        if message is None:
            self._go_cold("warm workers off: the server ended; mutmut's runner goes on")
            return
        if STARTED in message:
            name = message[STARTED]
            self._pids[name] = message["pid"]
            job = self._running[name]
            settings = config()
            wall = (job["estimate"] + settings.timeout_constant) * settings.timeout_multiplier
            register_timeout(pid=message["pid"], timeout_s=wall)
        elif KILLER in message:
            self.killers.killed(function_of(message[KILLER]), message["test"])
        elif DONE in message:
            name = message[DONE]
            self._running.pop(name, None)
            self._in_flight[function_of(name)] -= 1
            self._pids.pop(name, None)
            self._done.append(
                MutantResult(mutant_name=name, exit_code=message["exit_code"], duration=message["duration"])
            )

    # -- mutmut's runner interface ------------------------------------------------------------------------

    def submit(self, mutant_name: str, tests: list[str], cpu_time_limit: int, estimated_time: float) -> None:
        if self.cold:
            self.base.submit(mutant_name, tests, cpu_time_limit, estimated_time)
            return
        if not tests:
            self._done.append(MutantResult(mutant_name=mutant_name, exit_code=33, duration=0.0))
            return
        job = {"name": mutant_name, "tests": tests, "cpu_limit": cpu_time_limit, "estimate": estimated_time}
        self._running[mutant_name] = job
        self._queue.append(job)
        self._dispatch()

    def _ordered(self, job: dict[str, Any]) -> dict[str, Any]:
        """The job as the server takes it: its tests killer-first, then cheapest first, each with its own
        wall-clock and CPU-time limit."""
        settings = config()
        if self._phases is None:
            self._phases = phases.load(self.root)
        # Cheapest first by each test's whole cost in a warm child where it was measured (setup and
        # teardown included: a test with a costly fixture is not cheap), else by mutmut's call duration.
        durations = state().duration_by_test
        costs = {test: self._phases.cost(test) for test in job["tests"]}
        ordered = self.killers.order(
            function_of(job["name"]),
            job["tests"],
            {test: durations.get(test, 0.0) if cost is None else cost for test, cost in costs.items()},
        )
        job["tests"] = ordered
        job["limits"] = per_test_limits(
            ordered,
            durations,
            settings.timeout_multiplier,
            settings.timeout_constant,
            self._phases.cost,
        )
        job["cpu_limits"] = cpu_limits(ordered, self._phases.cpu_cost, settings.timeout_multiplier)
        return job

    def _slot_free(self) -> bool:
        alive = list(self._pids.values())
        if len(alive) >= ALIVE_PER_WORKER * self.max_workers:
            return False
        if len(alive) < self.max_workers:
            return True
        return len(alive) - len(self.idle.idle(alive)) < self.max_workers

    def _dispatch(self) -> None:
        """Hand queued mutants to the server while a slot is free."""
        while self._queue and not self.cold and self._slot_free():
            index = schedule.pick(
                [function_of(job["name"]) for job in self._queue], self._in_flight, self.killers.knows
            )
            job = self._ordered(self._queue.pop(index))
            self._in_flight[function_of(job["name"])] += 1
            try:
                self._jobs.send(job)
            except OSError:
                self._go_cold("warm workers off: the server stopped taking mutants; mutmut's runner goes on")
                return
            while not self.cold and job["name"] in self._running and job["name"] not in self._pids:
                self._pump()  # its child's pid, for mutmut's wall-clock watchdog
            self.most_alive = max(self.most_alive, len(self._pids))

    def has_capacity(self) -> bool:
        if self.cold:
            return self.base.has_capacity()
        return len(self._queue) < schedule.LOOKAHEAD

    def wait_for_result(self, timeout: float | None = None) -> MutantResult:
        while not self._done and not self.cold:
            # While a mutant waits for a slot, look again every POLL whether a child went idle.
            if not self._queue or self._results.waiting(POLL):
                self._pump()
            self._dispatch()
        if self._done:
            return self._done.pop(0)
        return self.base.wait_for_result(timeout)

    def pending_count(self) -> int:
        return len(self._running) + len(self._done) + (self.base.pending_count() if self.cold else 0)

    def signal_work_complete(self) -> None:
        self.base.signal_work_complete()

    def stop_all_workers(self) -> None:
        for pid in [*self._pids.values(), *([self._server] if self._server else [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self.base.stop_all_workers()

    def shutdown(self) -> None:
        if self.most_alive > self.max_workers:
            print(
                f"warm workers: up to {self.most_alive} mutants at once beside idle ones "
                f"({self.max_workers} computing)",
                flush=True,
            )
        self._jobs.close()  # end of file: the server waits for its children and exits
        if self._server is not None:
            os.waitpid(self._server, 0)
            self._server = None
        self._results.close()
        self.killers.save(self.root)
        self.base.shutdown()

    def collect_stats(self, tests: Iterable[str] | None) -> int:
        with phases.recording(self.root):
            return self.base.collect_stats(tests)

    def run_clean_tests(self, tests: Iterable[str]) -> int:
        return self.base.run_clean_tests(tests)

    def run_forced_fail(self) -> int:
        return self.base.run_forced_fail()

    def list_all_tests(self) -> Any:
        return self.base.list_all_tests()
