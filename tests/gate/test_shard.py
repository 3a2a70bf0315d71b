"""Sharding: parsing K/N, and the partition's properties (deterministic, disjoint, complete, balanced)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.exit_code import ConfigError, ExitCode
from gate.weekly.shard import OVERHEAD_S, Shard, partition, plan, read_estimates, weigh

names = st.lists(
    st.from_regex(r"py\.m[a-z]{1,3}\.x_[a-z]{1,4}__mutmut_[1-9][0-9]?", fullmatch=True), unique=True
)
weighted = names.flatmap(
    lambda ns: st.fixed_dictionaries({n: st.floats(0.0, 30.0, allow_nan=False) for n in ns})
)
counts = st.integers(1, 7)


@given(weighted, counts)
def test_partition_is_disjoint_and_complete(weights, count):
    parts = partition(weights, count)
    assert len(parts) == count
    flat = [n for part in parts for n in part]
    assert len(flat) == len(set(flat))
    assert set(flat) == set(weights)


@given(weighted, counts)
def test_partition_is_deterministic_whatever_the_input_order(weights, count):
    reordered = dict(reversed(list(weights.items())))
    assert partition(weights, count) == partition(reordered, count)


@given(weighted, counts)
def test_parts_differ_by_at_most_the_heaviest_item(weights, count):
    parts = partition(weights, count)
    loads = [sum(weights[n] for n in part) for part in parts]
    heaviest = max(weights.values(), default=0.0)
    assert max(loads) - min(loads) <= heaviest + 1e-9


@given(names, counts)
def test_plans_of_all_shards_cover_every_mutant_once_with_one_plan_id(mutants, count):
    plans = [plan(mutants, {}, Shard(k, count)) for k in range(1, count + 1)]
    assert sorted(n for p in plans for n in p.names) == sorted(mutants)
    assert {p.plan_id for p in plans} == {plans[0].plan_id}
    assert {p.total for p in plans} == {len(mutants)}
    assert all(p.names == sorted(p.names) for p in plans)


def test_equal_weights_split_evenly_and_by_name():
    parts = partition({f"m{i}": 1.0 for i in range(7)}, 3)
    assert parts == [["m0", "m3", "m6"], ["m1", "m4"], ["m2", "m5"]]


def test_slow_mutants_are_spread_over_the_shards():
    weights = weigh([f"m{i}" for i in range(10)], {"m1": 15.0, "m2": 15.0, "m3": 0.01})
    parts = partition(weights, 2)
    assert ("m1" in parts[0]) != ("m2" in parts[0])
    # Unknown estimates weigh the median of the known ones plus the per-mutant overhead.
    assert weights["m9"] == pytest.approx(OVERHEAD_S + 15.0)


def test_plan_id_changes_when_the_estimates_move_a_mutant():
    mutants = ["a", "b", "c", "d"]
    one = plan(mutants, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}, Shard(1, 2))
    two = plan(mutants, {"a": 9.0, "b": 1.0, "c": 1.0, "d": 1.0}, Shard(1, 2))
    assert one.names != two.names and one.plan_id != two.plan_id


@pytest.mark.parametrize(
    ("text", "expected"), [("1/4", Shard(1, 4)), (" 4 / 4 ", Shard(4, 4)), ("1/1", Shard(1, 1))]
)
def test_parse_shard(text, expected):
    assert Shard.parse(text) == expected
    assert str(expected) == text.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "K counts from 1"),
        ("5/4", "K counts from 1"),
        ("1/0", "at least 1"),
        ("a/b", "K/N"),
        ("2", "K/N"),
    ],
)
def test_bad_shard_is_a_usage_error(text, message):
    with pytest.raises(ConfigError, match=message) as error:
        Shard.parse(text)
    assert error.value.exit_code == ExitCode.USAGE


def test_estimates_are_the_last_complete_results_measured_durations(tmp_path):
    results = tmp_path / ".gate" / "results.json"
    assert read_estimates(results) == {}

    results.parent.mkdir()
    results.write_text(
        json.dumps(
            {
                "schema": "gate-report/1",
                "mutants": [
                    {"name": "a__mutmut_1", "duration": 2.0},
                    {"name": "a__mutmut_2", "duration": None},
                    {"name": "a__mutmut_3", "duration": "slow"},
                ],
            }
        )
    )
    assert read_estimates(results) == {"a__mutmut_1": 2.0}

    # A shard's own result is partial: it never decides the plan.
    results.write_text(
        json.dumps({"shard": {"index": 1, "count": 2}, "mutants": [{"name": "x", "duration": 1}]})
    )
    assert read_estimates(results) == {}
    results.write_text("{not json")
    assert read_estimates(results) == {}
