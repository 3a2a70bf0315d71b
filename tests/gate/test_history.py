"""History: runs recorded in a real SQLite file, comparison with the previous run, trend maths."""

from __future__ import annotations

import sqlite3

import pytest

from gate.exit_code import ExitCode
from gate.model import Cause, Status
from gate.report.history import sparkline, trend
from gate.weekly.history import History, HistoryError, compare, record
from tests.gate.sample_results import sample_result


def test_append_then_read_round_trips_counts_scores_and_survivors(tmp_path):
    history = History(tmp_path / ".gate" / "history.db")
    result = sample_result()

    run_id = history.append(result)

    [run] = history.runs()
    assert run.id == run_id == 1
    assert (run.commit, run.started, run.finished, run.duration_s) == (
        "c0ffee1",
        "2025-01-06T03:00:00+00:00",
        "2025-01-06T03:01:40+00:00",
        100.0,
    )
    assert (run.retested, run.reused, run.total, run.selection) == (12, 3, 15, "all")
    # all: killed 7 + timeout 1 = 8 detected of 15 - accepted 1 = 14 scored
    assert run.score == 57.1
    assert set(run.targets) == {"download", "cache", "lifecycle"}
    download = run.targets["download"]
    assert download.total == 9
    assert download.score == 62.5  # 5 detected / 8 scored
    assert download.counts == {
        "killed": 4,
        "timeout": 1,
        "survived": 2,
        "survived/partly-mocked": 1,
        "survived/weak-assertion": 1,
        "no-tests": 1,
        "no-tests/hidden-by-mock": 1,
        "accepted": 1,
    }
    assert run.targets["lifecycle"].total == 0 and run.targets["lifecycle"].score is None
    assert history.survivors(run_id) == {
        "d000000002": "download",
        "d000000006": "download",
        "d000000007": "download",
        "c000000002": "cache",
        "c000000003": "cache",
    }
    rows = sqlite3.connect(history.path).execute("SELECT count(*) FROM survivors").fetchone()
    assert rows == (5,)


def test_comparison_names_new_and_fixed_survivors_and_the_score_delta(tmp_path):
    history = History(tmp_path / "history.db")
    record(sample_result("week1"), history)
    second = sample_result("week2")
    by_id = {m.id: m for m in second.mutants}
    by_id["d000000002"].status, by_id["d000000002"].cause = Status.KILLED, None  # fixed
    by_id["c000000004"].status, by_id["c000000004"].cause = Status.SURVIVED, Cause.WEAK_ASSERTION  # new

    record(second, history)

    comparison = second.comparison
    assert comparison["previous"] == {"run": 1, "commit": "week1", "finished": "2025-01-06T03:01:40+00:00"}
    assert comparison["new_survivors"] == ["c000000004"]
    assert comparison["fixed_survivors"] == ["d000000002"]
    assert comparison["targets"]["download"] == {
        "score": 75.0,
        "previous_score": 62.5,
        "delta": 12.5,
        "new_survivors": 0,
        "fixed_survivors": 1,
    }
    assert comparison["targets"]["cache"]["delta"] == -16.7  # 3/6 -> 2/6 (suspicious stays scored)
    assert comparison["score_delta"] == 0.0
    assert [r.commit for r in history.runs()] == ["week1", "week2"]


def test_first_run_has_no_previous_and_is_recorded(tmp_path):
    history = History(tmp_path / "history.db")
    result = record(sample_result(), history)
    assert result.comparison == {
        "previous": None,
        "targets": {},
        "new_survivors": [],
        "fixed_survivors": [],
        "score_delta": None,
    }
    assert len(history.runs()) == 1


def test_a_run_of_one_target_does_not_fix_the_survivors_of_the_others(tmp_path):
    history = History(tmp_path / "history.db")
    record(sample_result("full"), history)
    partial = sample_result("partial")
    partial.mutants = [m for m in partial.mutants if m.target == "cache"]
    partial.target_floors = {"cache": 70.0}
    partial.selection = "targets"

    record(partial, history)

    assert partial.comparison["fixed_survivors"] == []
    assert partial.comparison["new_survivors"] == []
    assert set(partial.comparison["targets"]) == {"cache"}


def test_shard_results_are_refused(tmp_path):
    result = sample_result()
    result.shard = {"index": 1, "count": 2}
    with pytest.raises(ValueError, match="partial"):
        History(tmp_path / "history.db").append(result)


def test_corrupt_history_is_a_one_line_error_and_is_never_deleted(tmp_path):
    path = tmp_path / "history.db"
    garbage = b"this is not sqlite at all\n" * 100
    path.write_bytes(garbage)
    history = History(path)

    with pytest.raises(HistoryError) as error:
        history.runs()
    assert error.value.exit_code == ExitCode.NOT_JUDGED
    assert "unreadable" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(HistoryError):
        history.append(sample_result())
    assert path.read_bytes() == garbage


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "UPDATE runs SET total = 'many'",
            "run 1 is malformed (invalid literal for int() with base 10: 'many')",
        ),
        ("UPDATE runs SET score = 'high'", "run 1 has a score that is not a number"),
        ("UPDATE runs SET total = 16", "run 1 counts 16 mutants but its targets 15"),
    ],
)
def test_a_history_row_that_lies_is_refused(tmp_path, edit, message):
    path = tmp_path / "history.db"
    History(path).append(sample_result())
    with sqlite3.connect(path) as db:
        db.execute(edit)
    db.close()

    with pytest.raises(HistoryError) as error:
        History(path).runs()
    assert (str(error.value), error.value.exit_code) == (f"history {path}: {message}", ExitCode.NOT_JUDGED)


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "history.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="not a gate history"):
        History(path).append(sample_result())
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("notes",)]


def test_missing_history_reads_as_empty_without_creating_a_file(tmp_path):
    history = History(tmp_path / "none" / "history.db")
    assert history.runs() == [] and history.last() is None and history.survivors(1) == {}
    assert not history.path.exists()


def test_runs_limit_keeps_the_latest_oldest_first(tmp_path):
    history = History(tmp_path / "history.db")
    for week in range(5):
        history.append(sample_result(f"w{week}"))
    assert [r.commit for r in history.runs(limit=2)] == ["w3", "w4"]
    assert history.last().commit == "w4"


def test_trend_gives_each_target_its_scores_in_run_order(tmp_path):
    history = History(tmp_path / "history.db")
    history.append(sample_result("a"))
    second = sample_result("b")
    for m in second.mutants:
        if m.target == "cache" and m.status == Status.SURVIVED:
            m.status, m.cause = Status.KILLED, None
    history.append(second)
    series = trend(history.runs())
    assert series["download"] == [(1, 62.5), (2, 62.5)]
    assert series["cache"] == [(1, 50.0), (2, 66.7)]
    assert series["lifecycle"] == [(1, None), (2, None)]


def test_sparkline_scales_from_lowest_to_highest():
    assert sparkline([0.0, 50.0, 100.0]) == "▁▅█"
    assert sparkline([80.0, 90.0], low=0, high=100) == "▇▇"
    assert sparkline([80.0, None, 90.0]) == "▁ █"
    # Tiny moves stay flat: the scale is at least 5 points tall.
    assert sparkline([90.0, 90.1, 90.0]) == "▁▁▁"
    assert sparkline([]) == ""


def test_compare_ignores_a_previous_run_without_common_targets(tmp_path):
    history = History(tmp_path / "history.db")
    other = sample_result("old")
    other.mutants = [m for m in other.mutants if m.target == "cache"]
    other.target_floors = {"cache": 70.0}
    history.append(other)
    current = sample_result("new")
    current.mutants = [m for m in current.mutants if m.target == "download"]
    current.target_floors = {"download": 80.0}
    comparison = compare(current, history.last(), history.survivors(1))
    assert comparison["targets"] == {} and comparison["new_survivors"] == []
