"""Each test's whole cost, measured in mutmut's stats run, for the warm workers' per-test time limits.

mutmut times only a test's call phase and covers the rest (pytest's start-up, fixtures) with
`timeout_constant`, multiplied like the test itself: with the services' settings every test got at least
3 s, and every hanging mutant cost that much. A warm child pays no start-up, only the test: its setup, call
and teardown, plus the fixtures wider than a test that a fresh child sets up again. This plugin measures
those in the same stats run (loaded through PYTEST_PLUGINS, pytest's public way to add a plugin to a run
one does not start oneself) and keeps them in `.gate/phases.json`; `limits.per_test_limits` turns them
into limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gate.atomic import write_text_atomic as write_text

STATE_FILE = Path(".gate") / "phases.json"
ENV = "GATE_PHASES_FILE"  # where the plugin writes, set only around mutmut's stats run


@dataclass
class Phases:
    """Seconds per test id (setup + call + teardown), per fixture wider than a test (its setup), the
    wider fixtures each test uses, and the longest teardown seen (a child's last test tears down every
    wider fixture it set up); and the CPU seconds the process spent on each test and on each wider
    fixture's setup (all its threads: what a CPU-time limit counts)."""

    wall: dict[str, float] = field(default_factory=dict)
    wide: dict[str, float] = field(default_factory=dict)
    needs: dict[str, list[str]] = field(default_factory=dict)
    tail: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    wide_cpu: dict[str, float] = field(default_factory=dict)

    def cost(self, test: str) -> float | None:
        """A test's whole cost in a fresh warm child, or None when it was not measured."""
        if test not in self.wall:
            return None
        return (
            self.wall[test] + sum(self.wide.get(name, 0.0) for name in self.needs.get(test, ())) + self.tail
        )

    def cpu_cost(self, test: str) -> float | None:
        """The CPU seconds a test takes in a fresh warm child, or None when they were not measured."""
        if test not in self.cpu:
            return None
        return self.cpu[test] + sum(self.wide_cpu.get(name, 0.0) for name in self.needs.get(test, ()))

    def merged(self, newer: Phases) -> Phases:
        """These measurements updated by a later stats run over some of the tests."""
        return Phases(
            {**self.wall, **newer.wall},
            {**self.wide, **newer.wide},
            {**self.needs, **newer.needs},
            max(self.tail, newer.tail),
            {**self.cpu, **newer.cpu},
            {**self.wide_cpu, **newer.wide_cpu},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "wall": self.wall,
            "wide": self.wide,
            "needs": self.needs,
            "tail": self.tail,
            "cpu": self.cpu,
            "wide_cpu": self.wide_cpu,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Phases:
        return cls(
            dict(data["wall"]),
            dict(data["wide"]),
            {k: list(v) for k, v in data["needs"].items()},
            data["tail"],
            dict(data.get("cpu", {})),  # files written before CPU time was measured have none
            dict(data.get("wide_cpu", {})),
        )


def load(root: Path) -> Phases:
    """The measurements kept under `root`; none when the file is missing or unreadable (every test then
    gets mutmut's formula)."""
    try:
        return Phases.from_json(json.loads((root / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Phases()


@contextlib.contextmanager
def recording(root: Path) -> Iterator[None]:
    """Measure every pytest run started inside (mutmut's stats run), then merge what it measured into
    `.gate/phases.json`. The environment is restored afterwards."""
    out = root / ".gate" / "phases.new.json"
    out.unlink(missing_ok=True)
    saved = {name: os.environ.get(name) for name in ("PYTEST_PLUGINS", ENV)}
    os.environ["PYTEST_PLUGINS"] = ",".join(filter(None, [saved["PYTEST_PLUGINS"], __name__]))
    os.environ[ENV] = str(out)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        newer = Phases.from_json(json.loads(out.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # the run measured nothing (it failed, or ran in a way the plugin missed): keep the old
    out.unlink(missing_ok=True)
    write_text(root / STATE_FILE, json.dumps(load(root).merged(newer).to_json(), sort_keys=True) + "\n")


class Recorder:
    """The plugin's state for one pytest run."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.phases = Phases()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Iterator[None]:
        start, cpu_start = time.perf_counter(), time.process_time()
        yield
        if fixturedef.scope != "function":
            # By name: a test lists its fixtures by name; the dearest of a name's definitions stands for all.
            name = fixturedef.argname
            self.phases.wide[name] = max(self.phases.wide.get(name, 0.0), time.perf_counter() - start)
            self.phases.wide_cpu[name] = max(
                self.phases.wide_cpu.get(name, 0.0), time.process_time() - cpu_start
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        start = time.process_time()
        yield
        self.phases.cpu[item.nodeid] = self.phases.cpu.get(item.nodeid, 0.0) + time.process_time() - start

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.phases.needs[item.nodeid] = list(getattr(item, "fixturenames", ()))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.wall[report.nodeid] = self.phases.wall.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            self.phases.tail = max(self.phases.tail, report.duration)

    def pytest_sessionfinish(self) -> None:
        wide = self.phases.wide
        self.phases.needs = {
            test: [n for n in names if n in wide] for test, names in self.phases.needs.items()
        }
        write_text(self.out, json.dumps(self.phases.to_json()) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get(ENV)
    if out:
        config.pluginmanager.register(Recorder(Path(out)), "gate-phases")
