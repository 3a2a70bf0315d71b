"""Equivalent mutants: the gate-accepted.toml file, accepted verdicts and stale acceptances."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from gate.accept import Acceptance, accept, apply, dumps, find, load
from gate.exit_code import ConfigError, ExitCode
from gate.model import Cause, Status
from tests.gate.sample_results import sample_result


def test_accept_writes_a_sorted_reviewable_file(tmp_path):
    path = tmp_path / "gate-accepted.toml"
    result = sample_result()
    accept(find(result, "d000000007"), "  chunk sizes\n round up anyway ", path, today=dt.date(2025, 1, 7))
    accept(find(result, "c000000002"), "the separator is never parsed", path, today=dt.date(2025, 1, 8))

    text = path.read_text()
    assert text.startswith("# Equivalent mutants")
    assert text.index("[mutants.c000000002]") < text.index("[mutants.d000000007]")
    data = tomllib.loads(text)
    assert data["mutants"]["d000000007"] == {
        "reason": "chunk sizes round up anyway",
        "file": "py/services/downloader.py",
        "function": "Downloader.chunk_size",
        "target": "download",
        "change": "-        return max(1024, total // 100)\n+        return max(1025, total // 100)",
        "accepted": "2025-01-07",
    }
    assert load(path)["c000000002"].reason == "the separator is never parsed"
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_accepting_again_replaces_the_reason(tmp_path):
    path = tmp_path / "gate-accepted.toml"
    result = sample_result()
    accept(find(result, "d000000002"), "first", path)
    accept(find(result, "d000000002"), "second", path)
    assert {k: v.reason for k, v in load(path).items()} == {"d000000002": "second"}


def test_dumps_is_deterministic_whatever_the_order():
    a = Acceptance("bbb", "two", file="x.py")
    b = Acceptance("aaa", "one")
    assert dumps([a, b]) == dumps([b, a])
    assert tomllib.loads(dumps([])) == {}


def test_unknown_id_and_empty_reason_are_usage_errors(tmp_path):
    result = sample_result()
    with pytest.raises(ConfigError, match="unknown mutant id 'nope'") as error:
        find(result, "nope")
    assert error.value.exit_code == ExitCode.USAGE
    with pytest.raises(ConfigError, match="--reason"):
        accept(find(result, "d000000002"), "   ", tmp_path / "gate-accepted.toml")
    assert not (tmp_path / "gate-accepted.toml").exists()


def test_apply_marks_survivors_accepted_keeps_killed_and_lists_stale(tmp_path):
    result = sample_result()
    accepted = {
        "d000000002": Acceptance("d000000002", "bound is irrelevant", target="download"),
        "c000000001": Acceptance("c000000001", "wrongly accepted", target="cache"),  # killed: stays killed
        "gone000001": Acceptance("gone000001", "function deleted", target="download"),
    }
    before = result.counts()

    apply(result, accepted)

    weak = find(result, "d000000002")
    assert (weak.status, weak.cause, weak.accepted_reason) == (Status.ACCEPTED, None, "bound is irrelevant")
    assert find(result, "c000000001").status == Status.KILLED
    assert result.stale_accepted == ["gone000001"]
    after = result.counts()
    assert (after.accepted, after.survived) == (before.accepted + 1, before.survived - 1)
    assert after.by_cause[str(Cause.WEAK_ASSERTION)] == before.by_cause[str(Cause.WEAK_ASSERTION)] - 1
    # An accepted mutant leaves the denominator: 8 detected of 13 scored.
    assert after.score == 61.5


def test_partial_runs_do_not_call_other_targets_acceptances_stale():
    result = sample_result()
    accepted = {
        "gone000001": Acceptance("gone000001", "deleted", target="download"),
        "else000001": Acceptance("else000001", "not looked at", target="lifecycle"),
    }
    apply(result, accepted, covers=lambda entry: entry.target in {"download", "cache"})
    assert result.stale_accepted == ["gone000001"]
    apply(result, accepted, covers=lambda entry: False)
    assert result.stale_accepted == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[mutants.abc\n", "not valid TOML"),
        ("[other]\n", "unknown key `other`"),
        ('[mutants.abc]\nreason = ""\n', "non-empty `reason`"),
        ('[mutants.abc]\nreason = "x"\ncolour = "red"\n', "unknown key `colour`"),
        ("[mutants.abc]\nreason = 3\n", "must be a string"),
        ('mutants = "x"\n', "must be a table"),
    ],
)
def test_malformed_file_is_a_usage_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "gate-accepted.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load(path)
    assert str(path) in str(error.value)


def test_no_file_means_nothing_accepted(tmp_path):
    assert load(tmp_path / "gate-accepted.toml") == {}
