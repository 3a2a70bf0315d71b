"""The witness stage: run a survivor's tests under the original and the mutant with the probe, pair the
calls, and turn the first pair that differs into a witness with a verified assertion.

Costs: one pytest run per function, which runs its tests once under the original and once under each of its
survivors; then one run for all the suggestions, each on a scratch copy of its test under the original and
its mutant. So at most two extra runs of a survivor's tests. Witnesses are cached in ``.gate/witness.json`` by mutant, tests and the hashes of their sources.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.atomic import write_text_atomic
from gate.model import Mutant, Status, Witness
from gate.mutmut.names import function_of
from gate.witness import OUT_ENV, PLAN_ENV, PROBE, suggest

CACHE = Path(".gate") / "witness.json"
SCHEMA = "gate-witness/1"
# The causes whose survivors the tests run and do not check: where a witness helps.
CAUSES = frozenset({"weak-assertion", "partly-mocked", "line-not-run"})
DEFAULT_BUDGET = 120.0
_PYTEST = (
    "--rootdir=.",
    "-q",
    "--maxfail=1000000",
    "-p",
    "no:randomly",
    "-p",
    "no:random-order",
    "-p",
    "no:cacheprovider",
)


@dataclass
class Observation:
    """The calls of the function per test, in one variant (the original or a mutant)."""

    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Budget:
    """Seconds left for the whole stage."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)


def wanted(mutant: Mutant) -> bool:
    """A survivor whose tests run its function and do not tell the mutant apart."""
    return mutant.status == Status.SURVIVED and str(mutant.cause) in CAUSES and bool(mutant.tests)


def attach(root: Path, mutants: Sequence[Mutant], budget_s: float, warnings: list[str]) -> int:
    """Give each wanted survivor its witness (cached ones from ``.gate/witness.json``); returns how many
    got one. One probe run per function observes the original and all its survivors; one more run
    verifies every suggestion. The stage stops when ``budget_s`` seconds are spent and says so."""
    chosen = [m for m in mutants if wanted(m)]
    if not chosen or budget_s <= 0:
        return 0
    cache = _load_cache(root)
    keys = {m.name: cache_key(root, m) for m in chosen}
    groups: dict[str, list[Mutant]] = {}
    for mutant in chosen:
        if keys[mutant.name] in cache:
            mutant.witness = Witness.from_json(cache[keys[mutant.name]])
        else:
            groups.setdefault(function_of(mutant.name), []).append(mutant)
    budget = Budget(budget_s)
    seen: list[Mutant] = []
    for function, group in groups.items():
        if budget.left() <= 0:
            break
        observe(root, function, group, budget)
        seen += group
    verify(root, [m for m in seen if m.witness is not None and m.witness.suggestion], budget)
    for mutant in seen:
        if mutant.witness is not None and mutant.witness.kind != "unavailable":
            cache[keys[mutant.name]] = mutant.witness.to_json()
    _save_cache(root, cache)
    done = sum(1 for m in chosen if m.witness is not None)
    if done < len(chosen):
        warnings.append(
            f"witnesses: the budget of {budget_s:g} s was spent after {done} of {len(chosen)} "
            "survivor(s); raise --witness-budget for the rest"
        )
    return done


def observe(root: Path, function: str, group: Sequence[Mutant], budget: Budget) -> None:
    """Run the group's tests under the original and under each of its mutants, and give each mutant the
    first pair of calls that differs (with a suggestion still to verify), or "no difference"."""
    tests = list(dict.fromkeys(test for mutant in group for test in mutant.tests))
    variants = ["", *(m.name for m in group)]
    data, problem = run_probe(root, {"function": function, "variants": variants}, tests, budget)
    if not problem and data.get("installed"):
        problem = f"not observable: {data['installed']}"
    runs = data.get("runs", {})
    for mutant in group:
        if problem or "" not in runs or mutant.name not in runs:
            mutant.witness = Witness(kind="unavailable", note=problem or "the probe saw no complete run")
            continue
        original, changed = Observation(**runs[""]), Observation(**runs[mutant.name])
        mutant.witness = judge(mutant, original, changed)


def judge(mutant: Mutant, original: Observation, changed: Observation) -> Witness:
    """The witness of one mutant from the two observations of its tests."""
    if not any(original.counts.values()):
        # mutmut's stats link the tests to the function, yet no call went through its trampoline now.
        return Witness(
            kind="unavailable", note="its tests made no call through mutmut's trampoline this time"
        )
    found = first_difference(original, changed, mutant.tests)
    if found is None:
        return no_difference(original)
    test, before, after = found
    return Witness(
        kind="differs",
        test=test,
        call=(before or after or {}).get("call", ""),
        original=describe(before),
        mutant=describe(after),
        suggestion=suggest.propose(before, after),
    )


def verify(root: Path, mutants: Sequence[Mutant], budget: Budget) -> None:
    """Keep each suggestion only if its scratch copy of the test passes on the original and fails on
    the mutant; all of them in one pytest run."""
    witnesses = [m.witness for m in mutants if m.witness is not None]
    if not witnesses:
        return
    mutants_dir = root / "mutants"
    files, nodes = suggest.scratch_copies(mutants_dir, [(w.test, w.suggestion) for w in witnesses])
    plan = {node: m.name for node, m in zip(nodes, mutants, strict=True) if node is not None}
    try:
        data, _problem = run_probe(root, {"verify": plan}, sorted(plan), budget) if plan else ({}, "")
    finally:
        for file in files:
            file.unlink(missing_ok=True)
    outcomes = data.get("outcomes", {})
    for node, mutant in zip(nodes, mutants, strict=True):
        witness = mutant.witness
        if witness is None:
            continue
        witness.verified = (
            node is not None
            and outcomes.get("", {}).get(node) == "passed"
            and outcomes.get(mutant.name, {}).get(node) == "failed"
        )
        if not witness.verified:
            witness.suggestion = ""


def run_probe(
    root: Path, plan: dict[str, Any], tests: Sequence[str], budget: Budget
) -> tuple[dict[str, Any], str]:
    """One pytest run in ``mutants/`` with the probe and ``plan``; its JSON, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="gate-witness-") as scratch:
        plan_path, out = Path(scratch) / "plan.json", Path(scratch) / "out.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        env = dict(os.environ, **{PLAN_ENV: str(plan_path), OUT_ENV: str(out)})
        env.pop("MUTANT_UNDER_TEST", None)
        command = [sys.executable, "-m", "pytest", *_PYTEST, "-p", PROBE, *tests]
        process = subprocess.Popen(
            command, cwd=root / "mutants", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            code = process.wait(timeout=max(budget.left(), 1.0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return {}, "the witness budget ran out while the tests ran"
        try:
            return json.loads(out.read_text(encoding="utf-8")), ""
        except (OSError, ValueError):
            return {}, f"the probe's pytest run ended with exit {code} before recording"


def _key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (
        record.get("call"),
        record.get("returned"),
        record.get("raised"),
        record.get("message"),
        json.dumps(record.get("changed", {}), sort_keys=True),
    )


def first_difference(
    original: Observation, mutant: Observation, tests: Sequence[str]
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None] | None:
    """The first pair of calls, by order within each test (tests in the given order), that differs."""
    for test in tests:
        before, after = original.calls.get(test, []), mutant.calls.get(test, [])
        for index in range(max(len(before), len(after))):
            one = before[index] if index < len(before) else None
            two = after[index] if index < len(after) else None
            if one is None or two is None or _key(one) != _key(two):
                return test, one, two
    return None


def describe(record: dict[str, Any] | None) -> str:
    """What one call did: ``returns 'A'``, ``raises ValueError('negative age')``, plus attributes set."""
    if record is None:
        return "is not called"
    if "raised" in record:
        text = f"raises {record['raised']}({record.get('message', '')!r})"
    elif "returned" in record:
        text = f"returns {record['returned']}"
    else:
        text = "does not return"
    changed = record.get("changed") or {}
    if changed:
        text += " and sets " + ", ".join(f"self.{name} = {after}" for name, (_b, after) in changed.items())
    return text


def no_difference(original: Observation) -> Witness:
    """Every call behaved alike: an equivalent mutant, or an effect the tests never read."""
    calls = sum(original.counts.values())
    tests = len([t for t, n in original.counts.items() if n])
    changed = sorted(
        {name for records in original.calls.values() for r in records for name in r.get("changed", {})}
    )
    note = "it sets " + ", ".join(f"self.{name}" for name in changed) if changed else ""
    return Witness(kind="no-difference", calls=calls, tests=tests, note=note)


def cache_key(root: Path, mutant: Mutant) -> str:
    """The mutant, its tests and the content of their files and of its source, and the probe's code."""
    digest = hashlib.sha256(f"{SCHEMA}\0{mutant.id}\0{mutant.name}\0{' '.join(mutant.tests)}".encode())
    files = sorted({mutant.file, *(test.split("::", 1)[0] for test in mutant.tests)})
    for path in files:
        digest.update(path.encode() + b"\0")
        try:
            digest.update((root / path).read_bytes())
        except OSError:
            digest.update(b"<missing>")
    here = Path(__file__).parent
    for module in ("probe.py", "values.py", "suggest.py", "observe.py"):
        digest.update((here / module).read_bytes())
    return digest.hexdigest()[:32]


def _load_cache(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return {}
    entries = data.get("entries", {})
    return dict(entries) if isinstance(entries, dict) else {}


def _save_cache(root: Path, entries: dict[str, Any]) -> None:
    write_text_atomic(
        root / CACHE, json.dumps({"schema": SCHEMA, "entries": entries}, indent=1, sort_keys=True)
    )
