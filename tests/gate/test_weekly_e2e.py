"""End-to-end weekly flow on a small real project: shards, merge, history, accept, incremental re-runs."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.gate.projects import make_project

pytestmark = pytest.mark.e2e


def _verdicts(report: dict) -> list[tuple]:
    return sorted(
        (m["name"], m["id"], m["status"], m["line"], m["diff"], tuple(m["tests"])) for m in report["mutants"]
    )


def test_shard_union_equals_a_full_run_mutant_for_mutant(tmp_path: Path) -> None:
    project = make_project(tmp_path)

    for k in (1, 2):
        proc = project.gate(
            "run", "--shard", f"{k}/2", "--no-progress", "-f", "json", "-o", f"shard-{k}.json"
        )
        assert proc.returncode == 0, proc.stderr
    shards = [json.loads((tmp_path / f"shard-{k}.json").read_text()) for k in (1, 2)]
    assert [s["shard"]["index"] for s in shards] == [1, 2]
    assert {s["shard"]["plan"] for s in shards} == {shards[0]["shard"]["plan"]}
    assert sorted(len(s["mutants"]) for s in shards) == [6, 7]
    assert not (tmp_path / ".gate" / "results.json").exists()  # a shard never becomes "the last result"

    proc = project.gate("merge", "shard-1.json", "shard-2.json", "-o", "merged.json")
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 shards: 13 mutants, score 38.5%" in proc.stderr
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert "shard" not in merged and merged["retested"] == 13
    assert project.report() == merged

    shutil.rmtree(tmp_path / "mutants")
    shutil.rmtree(tmp_path / ".gate")
    proc = project.gate("run", "--no-progress", "-f", "json", "-o", "full.json")
    assert proc.returncode == 1, proc.stderr  # weak tests: under the floor
    full = json.loads((tmp_path / "full.json").read_text())

    assert _verdicts(merged) == _verdicts(full)
    assert merged["summary"] == full["summary"]
    assert merged["targets"] == full["targets"]


def test_unchanged_second_run_retests_nothing_and_is_compared_in_history(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = project.gate("run", "--no-progress", "--json")
    assert first.returncode == 1, first.stderr
    assert json.loads(first.stdout)["retested"] == 13

    second = project.gate("run", "--no-progress")
    assert second.returncode == 1, second.stderr
    report = project.report()
    assert (report["retested"], report["reused"]) == (0, 13)
    assert all(m.get("reused") for m in report["mutants"])
    assert "(0 re-tested, 13 re-used)" in second.stdout
    assert report["comparison"]["previous"]["run"] == 1
    assert report["comparison"]["targets"]["core"] == {
        "score": 38.5,
        "previous_score": 38.5,
        "delta": 0.0,
        "new_survivors": 0,
        "fixed_survivors": 0,
    }
    assert "Since run #1" in second.stdout and "core: 38.5% -> 38.5% (+0.0)" in second.stdout

    # A shard after a complete run re-uses every cached verdict too.
    shard = project.gate("run", "--shard", "1/3", "--no-progress", "--json")
    assert shard.returncode == 0, shard.stderr
    assert json.loads(shard.stdout)["retested"] == 0

    history = project.gate("history", "--json")
    assert history.returncode == 0, history.stderr
    runs = json.loads(history.stdout)["runs"]
    assert [(r["id"], r["retested"], r["reused"]) for r in runs] == [(1, 13, 0), (2, 0, 13)]
    text = project.gate("history").stdout
    assert "#2" in text and "38.5%" in text


def test_accept_marks_a_survivor_equivalent_and_reports_stale_ids(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.gate("run", "--no-progress", "-q")
    survivor = next(m for m in project.report()["mutants"] if m["status"] == "survived")

    proc = project.gate("accept", survivor["id"], "--reason", "grade letters are case-insensitive downstream")
    assert proc.returncode == 0, proc.stderr
    entry = tomllib.loads((tmp_path / "gate-accepted.toml").read_text())["mutants"][survivor["id"]]
    assert entry["reason"] == "grade letters are case-insensitive downstream"
    assert entry["file"] == "pkg/calc.py"
    accepted = next(m for m in project.report()["mutants"] if m["id"] == survivor["id"])
    assert accepted["status"] == "accepted"

    unknown = project.gate("accept", "0000000000", "--reason", "x")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().startswith("gate: error: unknown mutant id '0000000000'")
    killed = next(m for m in project.report()["mutants"] if m["status"] == "killed")
    refused = project.gate("accept", killed["id"], "--reason", "x")
    assert refused.returncode == 2 and "not equivalent" in refused.stderr

    with (tmp_path / "gate-accepted.toml").open("a") as handle:
        handle.write('\n[mutants.feedfacecafe]\nreason = "function removed long ago"\n')
    proc = project.gate("run", "--no-progress", "--json")
    report = json.loads(proc.stdout)
    assert report["summary"]["accepted"] == 1 and report["summary"]["survived"] == 5
    assert report["stale_accepted"] == ["feedfacecafe"]
    assert next(m for m in report["mutants"] if m["id"] == survivor["id"])["accepted_reason"] == (
        "grade letters are case-insensitive downstream"
    )


def test_html_and_stryker_reports_render_from_the_last_results(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.gate("run", "--no-progress", "-q")
    html = project.gate("report", "-f", "html", "-o", "report.html")
    assert html.returncode == 1, html.stderr  # the verdict: under the floor
    page = (tmp_path / "report.html").read_text()
    assert "def grade(score):" in page and 'class="trend"' in page
    stryker = project.gate("report", "-f", "stryker", "-o", "stryker.json")
    assert stryker.returncode == 1
    data = json.loads((tmp_path / "stryker.json").read_text())
    assert data["files"]["pkg/calc.py"]["source"] == (tmp_path / "pkg" / "calc.py").read_text()
    assert "tests/test_calc.py" in data["testFiles"]


def test_corrupt_history_is_one_line_exit_3_and_keeps_results(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (tmp_path / ".gate").mkdir()
    (tmp_path / ".gate" / "history.db").write_bytes(b"garbage" * 200)
    proc = project.gate("run", "--no-progress", "-q")
    assert proc.returncode == 3
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "history" in lines[0] and "unreadable" in lines[0]
    assert project.report()["summary"]["total"] == 13  # the run's results are kept
    assert (tmp_path / ".gate" / "history.db").read_bytes() == b"garbage" * 200
    history = project.gate("history")
    assert history.returncode == 3 and "Traceback" not in history.stderr
