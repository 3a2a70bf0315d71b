"""Merging shard results: N partial gate-report/1 results of one plan into one complete result.

It refuses (exit 3, one line) anything that would make the merged result lie: shards of another
commit or configuration, a missing or repeated shard, a mutant counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gate.exit_code import RunError
from gate.model import RunResult
from gate.results import parse_report


def load_shard(path: str | Path) -> RunResult:
    """Read one shard result; an unreadable or foreign file is a RunError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RunError(f"cannot read shard result {path}: {error.strerror or error}") from None
    result = parse_report(text, f"shard result {path}")
    if result.shard is None:
        raise RunError(
            f"{path} is not a shard result (no `shard` field): write it with `gate run --shard K/N`"
        )
    return result


def merge(shards: Sequence[tuple[str, RunResult]]) -> RunResult:
    """Join labelled shard results (label = file name, for messages) into one complete result."""
    if not shards:
        raise RunError("no shard results to merge")
    _check_one_plan(shards)
    _check_complete(shards)
    _check_disjoint(shards)
    return _joined([result for _, result in shards])


def _check_one_plan(shards: Sequence[tuple[str, RunResult]]) -> None:
    """Every shard of the same split, commit, configuration and plan as the first."""
    first_label, first = shards[0]
    count = _shard_int(first_label, first, "count")
    for label, result in shards:
        if result.shard is None:
            raise RunError(f"{label} is not a shard result (no `shard` field)")
        if _shard_int(label, result, "count") != count:
            raise RunError(
                f"shards of different splits: {first_label} is {_name(first)}, {label} is {_name(result)}"
            )
        if result.commit != first.commit:
            raise RunError(
                f"shards of different commits: {first_label} is {first.commit or 'unknown'}, "
                f"{label} is {result.commit or 'unknown'}"
            )
        if result.config_fingerprint != first.config_fingerprint:
            raise RunError(
                f"shards of different configurations: {first_label} has fingerprint "
                f"{first.config_fingerprint or 'none'}, {label} has {result.config_fingerprint or 'none'}"
            )
        if result.shard.get("plan") != (first.shard or {}).get("plan"):
            raise RunError(
                f"shards cut from different plans: {first_label} and {label} saw different mutants or "
                "durations (restore the same .gate/ and mutants/ state on every shard machine)"
            )


def _check_complete(shards: Sequence[tuple[str, RunResult]]) -> None:
    """Each shard 1..N exactly once."""
    count = _shard_int(shards[0][0], shards[0][1], "count")
    seen: dict[int, str] = {}
    for label, result in shards:
        index = _shard_int(label, result, "index")
        if not 1 <= index <= count:
            raise RunError(f"{label} claims shard {index}/{count}, outside 1..{count}")
        if index in seen:
            raise RunError(f"shard {index}/{count} given twice: {seen[index]} and {label}")
        seen[index] = label
    missing = [i for i in range(1, count + 1) if i not in seen]
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise RunError(
            f"shard{'s' if len(missing) > 1 else ''} {names} missing: the merged result would be partial"
        )


def _check_disjoint(shards: Sequence[tuple[str, RunResult]]) -> None:
    """No mutant in two shards, and all of the plan's mutants in one."""
    owner: dict[str, str] = {}
    for label, result in shards:
        for mutant in result.mutants:
            if mutant.name in owner:
                raise RunError(f"mutant {mutant.name} is in both {owner[mutant.name]} and {label}")
            owner[mutant.name] = label
    total = (shards[0][1].shard or {}).get("total")
    if isinstance(total, int) and total != len(owner):
        raise RunError(f"the shards hold {len(owner)} mutants but their plan has {total}")


def _joined(results: list[RunResult]) -> RunResult:
    first = results[0]
    floors: dict[str, float | None] = {}
    for result in results:
        floors.update(result.target_floors)
    blind_spots = {(b.file, b.line, b.function): b for r in results for b in r.blind_spots}
    # An accepted id absent from one shard may live in another: stale only if no shard has it.
    stale = set(first.stale_accepted)
    for result in results[1:]:
        stale &= set(result.stale_accepted)
    started = [r.started for r in results if r.started]
    finished = [r.finished for r in results if r.finished]
    return RunResult(
        mutants=[m for r in results for m in r.mutants],
        commit=first.commit,
        started=min(started, default=""),
        finished=max(finished, default=""),
        # Shards run side by side: the slowest one is the wall time of the whole.
        duration_s=max(r.duration_s for r in results),
        target_floors=dict(sorted(floors.items())),
        fail_under=first.fail_under,
        blind_spots=[blind_spots[k] for k in sorted(blind_spots)],
        retested=sum(r.retested for r in results),
        reused=sum(r.reused for r in results),
        shard=None,
        config_fingerprint=first.config_fingerprint,
        comparison=None,
        stale_accepted=sorted(stale),
        selection=str(first.shard.get("selection", "all")) if first.shard else "all",
    )


def _shard_int(label: str, result: RunResult, key: str) -> int:
    value = (result.shard or {}).get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RunError(f"{label}: shard field `{key}` is missing or not a number")
    return value


def _name(result: RunResult) -> str:
    shard = result.shard or {}
    return f"{shard.get('index')}/{shard.get('count')}"
