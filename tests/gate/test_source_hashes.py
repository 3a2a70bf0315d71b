"""The source-hash rule: which tests mutmut must map again after a source edit, and when there is none."""

from __future__ import annotations

import json
from pathlib import Path

from gate.mutmut.source_hashes import STATE_FILE, forget_after_source_changes, hash_sources
from gate.mutmut.state import read_stats, stats_path

MAPPING = {
    "pkg.a.x_first": ["tests/test_a.py::test_one"],
    "pkg.b.x_second": ["tests/test_b.py::test_two"],
}


def _project(tmp_path: Path, *, stats: bool) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("def first():\n    return 1\n")
    (tmp_path / "pkg" / "b.py").write_text("def second():\n    return 2\n")
    if stats:
        stats_path(tmp_path).parent.mkdir(parents=True)
        stats_path(tmp_path).write_text(
            json.dumps(
                {
                    "tests_by_mangled_function_name": MAPPING,
                    "duration_by_test": {"tests/test_a.py::test_one": 0.1, "tests/test_b.py::test_two": 0.2},
                }
            )
        )
    return tmp_path


FILES = ["pkg/a.py", "pkg/b.py"]


def test_a_first_run_forgets_nothing_and_records_the_hashes(tmp_path: Path) -> None:
    root = _project(tmp_path, stats=False)

    assert forget_after_source_changes(root, FILES) is None

    assert not stats_path(root).exists()  # nothing to map again: the first run maps every test
    assert json.loads((root / STATE_FILE).read_text()) == hash_sources(root, FILES)


def test_a_mapping_without_a_hash_record_is_forgotten_whole(tmp_path: Path) -> None:
    root = _project(tmp_path, stats=True)

    assert forget_after_source_changes(root, FILES) == MAPPING

    assert read_stats(root).tests_by_function == {"pkg.a.x_first": [], "pkg.b.x_second": []}
    assert read_stats(root).duration_by_test == {}


def test_only_the_tests_reaching_an_edited_file_are_forgotten(tmp_path: Path) -> None:
    root = _project(tmp_path, stats=True)
    (root / STATE_FILE).parent.mkdir()
    (root / STATE_FILE).write_text(json.dumps(hash_sources(root, FILES)))
    (root / "pkg" / "b.py").write_text("def second():\n    return 3\n")

    assert forget_after_source_changes(root, FILES) == MAPPING

    assert read_stats(root).tests_by_function == {
        "pkg.a.x_first": ["tests/test_a.py::test_one"],
        "pkg.b.x_second": [],
    }
    assert read_stats(root).duration_by_test == {"tests/test_a.py::test_one": 0.1}


def test_nothing_edited_forgets_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path, stats=True)
    (root / STATE_FILE).parent.mkdir()
    (root / STATE_FILE).write_text(json.dumps(hash_sources(root, FILES)))

    assert forget_after_source_changes(root, FILES) is None

    assert read_stats(root).tests_by_function == MAPPING
