"""Each test's whole cost from mutmut's stats run: a real pytest run measured through PYTEST_PLUGINS,
merged into `.gate/phases.json`, and turned into per-test limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gate.mutmut import phases
from gate.mutmut.limits import CPU_CONSTANT, cpu_limits, per_test_limits
from gate.mutmut.phases import Phases

SUITE = """\
import time

import pytest


@pytest.fixture(scope="session")
def server():
    time.sleep(0.2)
    yield "up"


@pytest.fixture
def row():
    time.sleep(0.1)
    yield 1
    time.sleep(0.1)


def test_uses_the_server(server):
    assert server == "up"


def test_uses_a_row(row):
    time.sleep(0.05)
    assert row == 1


def test_computes(server):
    start = time.process_time()
    while time.process_time() - start < 0.3:
        pass
    assert server == "up"
"""


def _record(root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest run inside `phases.recording`, as mutmut's stats run is, in a process of its own."""
    script = textwrap.dedent(
        f"""
        import os, pathlib, pytest
        from gate.mutmut import phases
        with phases.recording(pathlib.Path({str(root)!r})):
            code = pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "tests"])
        print("after", os.environ.get("PYTEST_PLUGINS"), os.environ.get(phases.ENV))
        raise SystemExit(code)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_suite.py").write_text(SUITE, encoding="utf-8")
    (tmp_path / ".gate").mkdir()
    return tmp_path


def test_a_stats_run_measures_each_tests_phases_and_the_wider_fixtures_it_needs(suite: Path) -> None:
    proc = _record(suite)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    measured = phases.load(suite)
    server, row = "tests/test_suite.py::test_uses_the_server", "tests/test_suite.py::test_uses_a_row"
    computes = "tests/test_suite.py::test_computes"
    assert sorted(measured.wall) == sorted([server, row, computes])
    # The function-scoped `row` is part of its test's phases; installed plugins add autouse fixtures of
    # their own, which both tests need.
    assert "row" not in measured.wide
    assert set(measured.needs[server]) == set(measured.needs[row]) | {"server"}
    assert "server" not in measured.needs[row]
    assert set(measured.wide) == set(measured.needs[server])
    assert measured.wide["server"] >= 0.2
    assert measured.wall[row] >= 0.25  # setup 0.1 + call 0.05 + teardown 0.1: all phases count
    cost = measured.cost(server)
    assert (
        cost == measured.wall[server] + sum(measured.wide[n] for n in measured.needs[server]) + measured.tail
    )
    assert measured.cost("tests/test_suite.py::test_never_ran") is None
    # CPU time: sleeping costs next to none, computing costs what it computed.
    assert sorted(measured.cpu) == sorted(measured.wall)
    assert measured.cpu[computes] >= 0.3
    assert measured.cpu[row] < 0.1 < measured.wall[row]
    assert measured.wide_cpu["server"] < 0.1 < measured.wide["server"]
    assert measured.cpu_cost(computes) == measured.cpu[computes] + sum(
        measured.wide_cpu[n] for n in measured.needs[computes]
    )
    assert measured.cpu_cost("tests/test_suite.py::test_never_ran") is None
    assert not (suite / ".gate" / "phases.new.json").exists()
    assert "after None None" in proc.stdout  # the environment is as it was


def test_a_plugin_list_the_user_set_is_kept_and_restored(suite: Path) -> None:
    proc = _record(suite, env={"PYTEST_PLUGINS": "pytest_mock"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "after pytest_mock None" in proc.stdout
    assert len(phases.load(suite).wall) == 3


def test_a_later_stats_run_over_some_tests_updates_only_those() -> None:
    older = Phases(
        {"a": 1.0, "b": 2.0}, {"db": 0.5}, {"a": ["db"], "b": []}, 0.25, {"a": 0.5, "b": 1.0}, {"db": 0.25}
    )
    newer = Phases(
        {"b": 3.0, "c": 0.5}, {"http": 0.75}, {"b": ["http"], "c": []}, 0.125, {"b": 2.0}, {"http": 0.5}
    )

    merged = older.merged(newer)

    assert merged == Phases(
        {"a": 1.0, "b": 3.0, "c": 0.5},
        {"db": 0.5, "http": 0.75},
        {"a": ["db"], "b": ["http"], "c": []},
        0.25,
        {"a": 0.5, "b": 2.0},
        {"db": 0.25, "http": 0.5},
    )
    assert merged.cost("b") == 3.0 + 0.75 + 0.25
    assert merged.cpu_cost("b") == 2.0 + 0.5
    assert merged.cpu_cost("c") is None  # its wall time came from a run that did not measure CPU time


def test_a_file_written_before_cpu_time_was_measured_still_gives_wall_costs(tmp_path: Path) -> None:
    (tmp_path / ".gate").mkdir()
    older = {"wall": {"t::a": 0.5}, "wide": {}, "needs": {"t::a": []}, "tail": 0.0}
    (tmp_path / ".gate" / "phases.json").write_text(json.dumps(older), encoding="utf-8")

    measured = phases.load(tmp_path)

    assert measured.cost("t::a") == 0.5
    assert measured.cpu_cost("t::a") is None
    assert cpu_limits(["t::a"], measured.cpu_cost, 3.0) == [0.0]


def test_a_missing_or_broken_file_means_nothing_measured(tmp_path: Path) -> None:
    assert phases.load(tmp_path) == Phases()
    (tmp_path / ".gate").mkdir()
    (tmp_path / ".gate" / "phases.json").write_text('{"wall": {}}', encoding="utf-8")
    assert phases.load(tmp_path) == Phases()
    (tmp_path / ".gate" / "phases.json").write_text("not json", encoding="utf-8")
    assert phases.load(tmp_path) == Phases()


def test_a_measured_test_gets_its_cost_times_the_multiplier_plus_the_constant() -> None:
    measured = Phases({"t::a": 0.5}, {"db": 0.25}, {"t::a": ["db"]}, 0.0)

    limits = per_test_limits(["t::a", "t::b"], {"t::a": 0.25, "t::b": 0.5}, 3.0, 1.0, measured.cost)

    # t::a: (0.5 + 0.25) x 3 + 1; t::b was not measured: (0.5 + 1) x 3, mutmut's formula.
    assert limits == [3.25, 4.5]


def test_a_measured_test_gets_its_cpu_time_times_the_multiplier_plus_a_quarter_second() -> None:
    measured = Phases({"t::a": 0.5}, {}, {"t::a": ["db"]}, 0.0, {"t::a": 0.25}, {"db": 0.125})

    # t::a: (0.25 + 0.125) x 3 + 0.25 CPU seconds; t::b was not measured: no CPU limit (0).
    assert CPU_CONSTANT == 0.25
    assert cpu_limits(["t::a", "t::b"], measured.cpu_cost, 3.0) == [1.375, 0.0]
    assert cpu_limits(["t::a"], measured.cpu_cost, 2.0, constant=1.0) == [1.75]


def test_the_file_is_json_with_sorted_keys(suite: Path) -> None:
    assert _record(suite).returncode == 0
    text = (suite / ".gate" / "phases.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == ["cpu", "needs", "tail", "wall", "wide", "wide_cpu"]
