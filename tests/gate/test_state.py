"""mutmut's state files, the test-hash rule's hashes and the run lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.exit_code import RunError
from gate.lock import run_lock
from gate.model import Status
from gate.mutmut.state import (
    FileMeta,
    forget_tests,
    read_meta,
    read_stats,
    repair_corrupt_meta,
    reset_verdicts,
    status_of,
    write_meta,
)
from gate.mutmut.test_hashes import compare, hash_suite, load_hashes, save_hashes


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, Status.NOT_CHECKED),
        (1, Status.KILLED),
        (3, Status.KILLED),
        (0, Status.SURVIVED),
        (5, Status.NO_TESTS),
        (33, Status.NO_TESTS),
        (-24, Status.TIMEOUT),
        (36, Status.TIMEOUT),
        (37, Status.TYPE_ERROR),
        (34, Status.SKIPPED),
        (2, Status.NOT_CHECKED),
        (99, Status.SUSPICIOUS),
    ],
)
def test_exit_code_map(code: int | None, status: Status) -> None:
    assert status_of(code) is status


def test_reset_and_write_keep_mutmuts_format(tmp_path: Path) -> None:
    meta = FileMeta(
        path="pkg/a.py",
        exit_code_by_key={"pkg.a.x_f__mutmut_1": 0, "pkg.a.x_f__mutmut_2": 1, "pkg.a.x_f__mutmut_3": 2},
        hash_by_function_name={"x_f": "abc"},
        durations_by_key={"pkg.a.x_f__mutmut_1": 0.1},
    )
    write_meta(tmp_path, meta)
    reset = reset_verdicts(tmp_path, ["pkg/a.py", "pkg/none.py"], lambda _n, code: code != 1)
    assert reset == ["pkg.a.x_f__mutmut_1", "pkg.a.x_f__mutmut_3"]
    data = json.loads((tmp_path / "mutants" / "pkg" / "a.py.meta").read_text())
    assert set(data) == {
        "exit_code_by_key",
        "hash_by_function_name",
        "type_check_error_by_key",
        "durations_by_key",
        "estimated_durations_by_key",
    }
    assert data["exit_code_by_key"] == {
        "pkg.a.x_f__mutmut_1": None,
        "pkg.a.x_f__mutmut_2": 1,
        "pkg.a.x_f__mutmut_3": None,
    }


def test_corrupt_meta_is_repaired_by_regeneration(tmp_path: Path) -> None:
    mutants = tmp_path / "mutants" / "pkg"
    mutants.mkdir(parents=True)
    (mutants / "a.py.meta").write_text('{"exit_code_by_key": {"x": 1')
    (mutants / "a.py").write_text("mutated")
    reset_verdicts(tmp_path, ["pkg/a.py"], lambda _n, _c: True)
    assert not (mutants / "a.py.meta").exists() and not (mutants / "a.py").exists()
    assert read_meta(tmp_path, "pkg/a.py") is None
    repair_corrupt_meta(tmp_path, "pkg/a.py")  # idempotent


def test_forget_tests_makes_mutmut_collect_them_again(tmp_path: Path) -> None:
    stats = tmp_path / "mutants" / "mutmut-stats.json"
    stats.parent.mkdir()
    stats.write_text(
        json.dumps(
            {
                "tests_by_mangled_function_name": {
                    "pkg.a.x_f": ["tests/test_a.py::t1", "tests/test_b.py::t2"]
                },
                "duration_by_test": {"tests/test_a.py::t1": 0.2, "tests/test_b.py::t2": 0.1},
                "stats_time": 1.0,
            }
        )
    )
    assert read_stats(tmp_path).tests_for("pkg.a.x_f") == ["tests/test_b.py::t2", "tests/test_a.py::t1"]
    assert forget_tests(tmp_path, lambda node: node.startswith("tests/test_a.py::")) == 1
    data = json.loads(stats.read_text())
    assert data["tests_by_mangled_function_name"] == {"pkg.a.x_f": ["tests/test_b.py::t2"]}
    assert data["duration_by_test"] == {"tests/test_b.py::t2": 0.1}
    assert data["stats_time"] == 1.0


def test_suite_hashes_detect_edits_additions_and_removals(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("a")
    (tmp_path / "conftest.py").write_text("c")
    first = hash_suite(tmp_path, ["tests"])
    assert set(first) == {"tests/test_a.py", "conftest.py"}
    assert compare(None, first).first_run
    save_hashes(tmp_path, first)
    assert load_hashes(tmp_path) == first
    (tmp_path / "tests" / "test_a.py").write_text("a2")
    (tmp_path / "tests" / "test_b.py").write_text("b")
    changes = compare(first, hash_suite(tmp_path, ["tests"]))
    assert changes.changed == ("tests/test_a.py", "tests/test_b.py") and changes.only_test_modules()
    (tmp_path / "conftest.py").unlink()
    changes = compare(first, hash_suite(tmp_path, ["tests"]))
    assert "conftest.py" in changes.changed and not changes.only_test_modules()


def test_second_holder_of_the_run_lock_is_refused(tmp_path: Path) -> None:
    with (
        run_lock(tmp_path, what="gate run"),
        pytest.raises(RunError, match=r"another gate run is in progress .*pid \d+, gate run"),
        run_lock(tmp_path, wait_s=0.3),
    ):
        pass
    with run_lock(tmp_path):  # released
        pass
