"""The witness stage: run a survivor's tests under the original and the mutant with the probe, pair the
calls, and turn the first pair that differs into a witness with a verified assertion.

Costs per survivor: one probe run of its tests under the mutant, one under the original (shared by the
mutants of a function), both at once; then, for a suggestion, one run of a single scratch test per side.
Witnesses are cached in ``.gate/witness.json`` by mutant, tests and the hashes of their sources.
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
from gate.witness import probe, suggest

CACHE = Path(".gate") / "witness.json"
SCHEMA = "gate-witness/1"
# The causes whose survivors the tests run and do not check: where a witness helps.
CAUSES = frozenset({"weak-assertion", "partly-mocked", "line-not-run"})
DEFAULT_BUDGET = 120.0
_PYTEST = ("--rootdir=.", "-q", "-p", "no:randomly", "-p", "no:random-order", "-p", "no:cacheprovider")


@dataclass
class Observation:
    """One probe run: the calls of the function per test, the tests' outcomes, or why it saw nothing."""

    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    problem: str = ""


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
    """Give each wanted survivor its witness, cached ones first; returns how many got one.
    The stage stops when ``budget_s`` seconds are spent and says so in ``warnings``."""
    chosen = [m for m in mutants if wanted(m)]
    if not chosen or budget_s <= 0:
        return 0
    cache = _load_cache(root)
    budget = Budget(budget_s)
    originals: dict[tuple[str, tuple[str, ...]], Observation] = {}
    done = 0
    for mutant in chosen:
        key = cache_key(root, mutant)
        if key in cache:
            mutant.witness = Witness.from_json(cache[key])
            done += 1
            continue
        if budget.left() <= 0:
            warnings.append(
                f"witnesses: the budget of {budget_s:g} s was spent after {done} of {len(chosen)} "
                "survivor(s); raise --witness-budget for the rest"
            )
            break
        mutant.witness = witness_for(root, mutant, budget, originals)
        if mutant.witness.kind != "unavailable":
            cache[key] = mutant.witness.to_json()
        done += 1
    _save_cache(root, cache)
    return done


def witness_for(
    root: Path,
    mutant: Mutant,
    budget: Budget,
    originals: dict[tuple[str, tuple[str, ...]], Observation] | None = None,
) -> Witness:
    """Observe, pair, and verify a suggestion for one survivor."""
    function = function_of(mutant.name)
    tests = tuple(mutant.tests)
    shared = originals if originals is not None else {}
    original = shared.get((function, tests))
    if original is None:
        original, changed = _observe_both(root, function, tests, mutant.name, budget)
        shared[(function, tests)] = original
    else:
        changed = _observe(root, function, tests, mutant.name, budget)
    problem = original.problem or changed.problem
    if problem:
        return Witness(kind="unavailable", note=problem)
    found = first_difference(original, changed, tests)
    if found is None:
        return no_difference(mutant, original)
    test, before, after = found
    witness = Witness(
        kind="differs",
        test=test,
        call=(before or after or {}).get("call", ""),
        original=describe(before),
        mutant=describe(after),
    )
    proposal = suggest.propose(before, after)
    if proposal and budget.left() > 0:
        witness.suggestion = proposal
        witness.verified = suggest.verify(root / "mutants", test, proposal, mutant.name, budget.left())
        if not witness.verified:
            witness.suggestion = ""
    return witness


def _observe_both(
    root: Path, function: str, tests: tuple[str, ...], name: str, budget: Budget
) -> tuple[Observation, Observation]:
    """The original (MUTANT_UNDER_TEST set to nothing any trampoline matches, as mutmut's clean run
    does) and the mutant, observed in two processes at once."""
    with tempfile.TemporaryDirectory(prefix="gate-witness-") as scratch:
        runs = [_start(root, function, tests, which, Path(scratch) / f"{i}.json") for i, which in enumerate(("", name))]
        return _finish(runs[0], budget), _finish(runs[1], budget)


def _observe(root: Path, function: str, tests: tuple[str, ...], name: str, budget: Budget) -> Observation:
    with tempfile.TemporaryDirectory(prefix="gate-witness-") as scratch:
        return _finish(_start(root, function, tests, name, Path(scratch) / "run.json"), budget)


@dataclass
class _Run:
    process: subprocess.Popen[bytes]
    out: Path


def _start(root: Path, function: str, tests: tuple[str, ...], mutant: str, out: Path) -> _Run:
    env = dict(os.environ)
    env.update({"MUTANT_UNDER_TEST": mutant, probe.FUNCTION_ENV: function, probe.OUT_ENV: str(out)})
    command = [sys.executable, "-m", "pytest", *_PYTEST, "-p", probe.__name__, *tests]
    process = subprocess.Popen(
        command, cwd=root / "mutants", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return _Run(process, out)


def _finish(run: _Run, budget: Budget) -> Observation:
    try:
        code = run.process.wait(timeout=max(budget.left(), 1.0))
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.wait()
        return Observation(problem="the witness budget ran out while the tests ran")
    try:
        data = json.loads(run.out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Observation(problem=f"the probe's pytest run ended with exit {code} before recording")
    if data.get("installed"):
        return Observation(problem=f"not observable: {data['installed']}")
    return Observation(calls=data["calls"], counts=data["counts"], outcomes=data["outcomes"])


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


def no_difference(mutant: Mutant, original: Observation) -> Witness:
    """Every call behaved alike: an equivalent mutant, or an effect the tests never read."""
    calls = sum(original.counts.values())
    tests = len([t for t, n in original.counts.items() if n])
    changed = sorted({name for records in original.calls.values() for r in records for name in r.get("changed", {})})
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
    write_text_atomic(root / CACHE, json.dumps({"schema": SCHEMA, "entries": entries}, indent=1, sort_keys=True))
