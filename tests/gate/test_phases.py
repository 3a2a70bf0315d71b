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
from gate.mutmut.limits import per_test_limits
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
    assert sorted(measured.wall) == sorted([server, row])
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
    assert not (suite / ".gate" / "phases.new.json").exists()
    assert "after None None" in proc.stdout  # the environment is as it was


def test_a_plugin_list_the_user_set_is_kept_and_restored(suite: Path) -> None:
    proc = _record(suite, env={"PYTEST_PLUGINS": "pytest_mock"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "after pytest_mock None" in proc.stdout
    assert len(phases.load(suite).wall) == 2


def test_a_later_stats_run_over_some_tests_updates_only_those() -> None:
    older = Phases({"a": 1.0, "b": 2.0}, {"db": 0.5}, {"a": ["db"], "b": []}, 0.25)
    newer = Phases({"b": 3.0, "c": 0.5}, {"http": 0.75}, {"b": ["http"], "c": []}, 0.125)

    merged = older.merged(newer)

    assert merged == Phases(
        {"a": 1.0, "b": 3.0, "c": 0.5}, {"db": 0.5, "http": 0.75}, {"a": ["db"], "b": ["http"], "c": []}, 0.25
    )
    assert merged.cost("b") == 3.0 + 0.75 + 0.25


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


def test_the_file_is_json_with_sorted_keys(suite: Path) -> None:
    assert _record(suite).returncode == 0
    text = (suite / ".gate" / "phases.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == ["needs", "tail", "wall", "wide"]
