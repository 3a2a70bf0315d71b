"""Sharding: a deterministic 1/N of the selected mutants, balanced by mutmut's estimated durations.

Every CI machine computes the same plan from the same names and estimates; a plan id lets
`gate merge` prove that the shards it joins were cut from one plan.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from gate.config import GateConfig
from gate.exit_code import ConfigError
from gate.mutmut.selection import Selection
from gate.results import RESULTS_FILE

# Fork + pytest start-up per mutant (~50 ms measured on mutmut 3.8.1): a mutant whose covering
# tests take no time still costs this much, so thousands of quick mutants are not weighed as zero.
OVERHEAD_S = 0.05

_SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard K of N, counted from 1 (``--shard 1/4`` .. ``--shard 4/4``)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD_RE.match(text)
        if not match:
            raise ConfigError(f"--shard must look like K/N (e.g. 1/4), got {text!r}")
        index, count = int(match[1]), int(match[2])
        if count < 1:
            raise ConfigError(f"--shard {text}: the number of shards must be at least 1")
        if not 1 <= index <= count:
            raise ConfigError(f"--shard {text}: K counts from 1 to N (1/{count} .. {count}/{count})")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class ShardPlan:
    """The names of one shard, with what `gate merge` needs to check the whole."""

    shard: Shard
    names: list[str]  # this shard's mutants, sorted
    total: int  # mutants in the whole selection
    plan_id: str  # same on every machine that cut the same plan

    def to_json(self) -> dict[str, object]:
        """The `shard` field of a gate-report/1 shard result."""
        return {
            "index": self.shard.index,
            "count": self.shard.count,
            "total": self.total,
            "plan": self.plan_id,
        }


def weigh(names: Iterable[str], estimates: Mapping[str, float]) -> dict[str, float]:
    """Expected cost of each mutant: start-up overhead + the covering tests' duration.

    A mutant without an estimate (new function, first run) weighs the median of the known ones.
    """
    names = list(names)
    known = [max(0.0, float(estimates[n])) for n in names if n in estimates]
    fallback = median(known) if known else 0.0
    return {n: OVERHEAD_S + (max(0.0, float(estimates[n])) if n in estimates else fallback) for n in names}


def partition(weights: Mapping[str, float], count: int) -> list[list[str]]:
    """Split the names into ``count`` parts with greedy longest-processing-time scheduling.

    Heaviest first (ties broken by name), each to the currently lightest part (ties: lowest
    index). Deterministic; the heaviest and lightest parts differ by at most the heaviest item.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    parts: list[list[str]] = [[] for _ in range(count)]
    loads: list[tuple[float, int]] = [(0.0, i) for i in range(count)]
    for name in sorted(weights, key=lambda n: (-weights[n], n)):
        load, index = heapq.heappop(loads)
        parts[index].append(name)
        heapq.heappush(loads, (load + weights[name], index))
    return [sorted(part) for part in parts]


def plan(names: Iterable[str], estimates: Mapping[str, float], shard: Shard) -> ShardPlan:
    """This machine's share of the selected mutants."""
    weights = weigh(sorted(set(names)), estimates)
    parts = partition(weights, shard.count)
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return ShardPlan(shard=shard, names=parts[shard.index - 1], total=len(weights), plan_id=digest)


def read_estimates(results_path: str | Path = ".gate/results.json") -> dict[str, float]:
    """Seconds per mutant name for planning: what the last complete run measured (timeouts included).

    Every shard machine must cut the same plan, so the plan may only depend on state that is the
    same everywhere: the last complete result (`.gate/results.json`, carried between CI runs with
    `.gate/` and never overwritten by a shard run). mutmut's own ``estimated_durations_by_key``
    is not used: it lives in each machine's `mutants/` cache, and running one shard changes it
    before the next shard is planned. Without a complete result every mutant weighs the same.
    """
    return _measured_durations(Path(results_path))


def _measured_durations(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("shard") is not None:
        return {}  # a shard's own result covers only part of the mutants
    durations: dict[str, float] = {}
    for mutant in data.get("mutants") or []:
        seconds = mutant.get("duration") if isinstance(mutant, dict) else None
        if isinstance(seconds, int | float) and isinstance(mutant.get("name"), str):
            durations[mutant["name"]] = float(seconds)
    return durations


def select(config: GateConfig, base: Selection, shard: Shard) -> tuple[Selection, ShardPlan]:
    """This machine's shard of ``base``: generates the mutants (testing none), plans, narrows.

    The shard's mutants keep their cached verdicts like a full run's do: only those without a
    valid verdict are tested.
    """
    from gate.mutmut import runner  # drives mutmut; planning itself stays importable without it

    by_file = runner.list_mutants(config, base)
    names = [name for file_names in by_file.values() for name in file_names]
    shard_plan = plan(names, read_estimates(config.root / RESULTS_FILE), shard)
    mine = set(shard_plan.names)
    files = tuple(path for path, file_names in by_file.items() if mine.intersection(file_names))
    narrowed = Selection(
        files=files, names=tuple(shard_plan.names), kind="shard", label=f"shard {shard} of {base.label}"
    )
    return narrowed, shard_plan
