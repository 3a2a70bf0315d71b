"""Merging shard results: refuses what would lie (exit 3, one line), joins the rest exactly."""

from __future__ import annotations

import json

import pytest

from gate.exit_code import ExitCode, RunError
from gate.weekly.history import History
from gate.weekly.merge import load_shard, merge
from gate.weekly.shard import Shard, plan
from tests.gate.sample_results import sample_result


def shards(count: int = 3, commit: str = "c0ffee1"):
    """The sample result cut into `count` shard results, as `gate run --shard K/N` writes them."""
    full = sample_result(commit)
    by_name = {m.name: m for m in full.mutants}
    results = []
    for k in range(1, count + 1):
        p = plan(by_name, {}, Shard(k, count))
        part = sample_result(commit)
        part.mutants = [by_name[n] for n in p.names]
        part.shard = p.to_json()
        part.duration_s = 10.0 * k
        part.retested, part.reused = k, 1
        results.append((f"shard-{k}.json", part))
    return full, results


def test_merge_of_all_shards_equals_the_full_result():
    full, parts = shards(3)
    merged = merge(parts)
    assert sorted(m.name for m in merged.mutants) == sorted(m.name for m in full.mutants)
    assert all(len(p[1].mutants) == 5 for p in parts)
    assert merged.counts() == full.counts()
    assert merged.shard is None
    assert (merged.commit, merged.config_fingerprint) == ("c0ffee1", "fp1")
    assert merged.duration_s == 30.0  # the slowest shard
    assert (merged.retested, merged.reused) == (6, 3)
    assert merged.to_json()["summary"] == full.to_json()["summary"]
    assert merged.to_json()["targets"] == full.to_json()["targets"]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda parts: parts[:2], "shard 3/3 missing"),
        (lambda parts: [parts[0], parts[1]], "shard 3/3 missing"),
        (lambda parts: parts[:1], "shards 2/3, 3/3 missing"),
        (
            lambda parts: [*parts, ("again.json", parts[1][1])],
            "shard 2/3 given twice: shard-2.json and again.json",
        ),
    ],
)
def test_missing_or_repeated_shards_are_refused(mangle, message):
    _, parts = shards(3)
    with pytest.raises(RunError, match=message) as error:
        merge(mangle(parts))
    assert error.value.exit_code == ExitCode.NOT_JUDGED
    assert "\n" not in str(error.value)


def test_shards_of_another_commit_are_refused():
    _, parts = shards(2)
    _, other = shards(2, commit="deadbee")
    with pytest.raises(RunError, match="different commits: shard-1.json is c0ffee1, shard-2.json is deadbee"):
        merge([parts[0], other[1]])


def test_shards_of_another_configuration_are_refused():
    _, parts = shards(2)
    parts[1][1].config_fingerprint = "fp2"
    with pytest.raises(RunError, match="different configurations"):
        merge(parts)


def test_shards_of_another_split_or_plan_are_refused():
    _, two = shards(2)
    _, three = shards(3)
    with pytest.raises(RunError, match="different splits: shard-1.json is 1/2, shard-2.json is 2/3"):
        merge([two[0], three[1]])
    two[1][1].shard["plan"] = "0000"
    with pytest.raises(RunError, match="different plans"):
        merge(two)


def test_a_mutant_in_two_shards_is_refused():
    _, parts = shards(2)
    parts[1][1].mutants.append(parts[0][1].mutants[0])
    with pytest.raises(RunError, match=r"mutant .* is in both shard-1.json and shard-2.json"):
        merge(parts)


def test_a_shard_that_lost_mutants_is_refused():
    _, parts = shards(2)
    parts[1][1].mutants.pop()
    with pytest.raises(RunError, match="the shards hold 14 mutants but their plan has 15"):
        merge(parts)


def test_stale_acceptances_are_those_no_shard_found():
    _, parts = shards(2)
    parts[0][1].stale_accepted = ["aaaa", "bbbb"]  # bbbb lives in shard 2
    parts[1][1].stale_accepted = ["aaaa", "cccc"]  # cccc lives in shard 1
    assert merge(parts).stale_accepted == ["aaaa"]


def test_load_shard_reads_what_gate_run_writes_and_names_bad_files(tmp_path):
    _, parts = shards(2)
    good = tmp_path / "shard-1.json"
    good.write_text(json.dumps(parts[0][1].to_json()))
    loaded = load_shard(good)
    assert sorted(m.name for m in loaded.mutants) == sorted(m.name for m in parts[0][1].mutants)
    assert loaded.shard == parts[0][1].shard
    assert set(loaded.shard) == {"index", "count", "total", "plan"}

    full = tmp_path / "full.json"
    full.write_text(json.dumps(sample_result().to_json()))
    with pytest.raises(RunError, match=r"full.json is not a shard result"):
        load_shard(full)
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "gate-report/1", "mutants": [')
    with pytest.raises(RunError, match=r"broken.json: not a readable gate report: Expecting value"):
        load_shard(broken)
    with pytest.raises(RunError, match=r"cannot read shard result .*absent.json"):
        load_shard(tmp_path / "absent.json")
    other = tmp_path / "other.json"
    other.write_text('{"schema": "something-else/2"}')
    with pytest.raises(RunError, match="other.json: not a valid gate report: `schema` must be gate-report/1"):
        load_shard(other)


def test_gate_merge_command_writes_the_result_or_one_line_exit_3(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from gate.cli import cli

    _, parts = shards(2)
    for label, part in parts:
        (tmp_path / label).write_text(json.dumps(part.to_json()))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    missing = runner.invoke(cli, ["merge", "shard-1.json", "-o", "partial.json"])
    assert missing.exit_code == 3
    assert missing.output.strip() == "gate: error: shard 2/2 missing: the merged result would be partial"
    assert not (tmp_path / "partial.json").exists()

    done = runner.invoke(cli, ["merge", "shard-1.json", "shard-2.json", "-o", "merged.json"])
    assert done.exit_code == 0, done.output
    merged = json.loads((tmp_path / "merged.json").read_text())
    assert merged["summary"] == sample_result().to_json()["summary"]
    assert merged["comparison"]["previous"] is None  # recorded as the first run of a new history
    assert json.loads((tmp_path / ".gate" / "results.json").read_text()) == merged
    assert len(History(tmp_path / ".gate" / "history.db").runs()) == 1

    again = runner.invoke(cli, ["merge", "shard-1.json", "shard-2.json", "-o", "again.json", "--no-history"])
    assert again.exit_code == 0
    assert len(History(tmp_path / ".gate" / "history.db").runs()) == 1
