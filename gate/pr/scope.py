"""Runs the mutants whose mutated line a change touched, re-using mutmut's cached verdicts for the rest.

Each survivor is then re-run alone (one worker): one that is killed that way is flaky, not a survivor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gate import accept, pipeline
from gate.atomic import write_text_atomic
from gate.config import GateConfig
from gate.lock import run_lock
from gate.model import DETECTED, Mutant, RunResult, Status
from gate.mutmut import process
from gate.mutmut.results import read_results
from gate.mutmut.selection import Selection
from gate.mutmut.state import reset_verdicts
from gate.pr.diffscope import DiffScope, changed_lines

SELECTION = "changed-lines"
CONFIRMATIONS_FILE = Path(".gate") / "confirmed.json"


@dataclass
class InDiff:
    """What a changed-lines run found and did."""

    result: RunResult
    scope: DiffScope
    tested: list[str] = field(default_factory=list)  # mutants tested in this run
    confirmed: list[str] = field(default_factory=list)  # survivors re-run alone that survived again
    flaky: list[str] = field(default_factory=list)  # survivors killed when re-run alone
    unplaced: int = 0  # mutants of changed files whose line could not be found (left out)
    warnings: list[str] = field(default_factory=list)


Stage = Callable[[str], None]


def run_in_diff(
    config: GateConfig,
    base: str,
    *,
    fail_under: float | None = None,
    max_children: int | None = None,
    confirm: bool = True,
    on_progress: process.ProgressCallback | None = None,
    on_stage: Stage | None = None,
) -> InDiff:
    """Scope the diff, bring the mutants on changed lines to a verdict, confirm the survivors."""
    stage = on_stage or (lambda _msg: None)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    scope = changed_lines(config.root, base, targets=config.target_files(), test_roots=config.tests)
    stage(scope.describe() + ("" if scope.files else ": no mutants on changed lines"))
    outcome = InDiff(result=_result(config, [], scope, fail_under), scope=scope)
    if not scope.files:
        outcome.result.finished = datetime.now(UTC).isoformat(timespec="seconds")
        return outcome

    files = tuple(sorted(scope.files))
    with run_lock(config.root, float(config.value("lock_wait")), what=f"gate pr --base {base}"):
        all_files = config.mutatable_files()
        process.repair(config, all_files)
        _reset, test_changes = process.apply_test_changes(config, all_files)
        process.generate(config, max_children=max_children)
        candidates = read_results(config, Selection(files=files, kind=SELECTION, label=base))
        outcome.unplaced = sum(1 for m in candidates if m.line <= 0)
        on_lines = [m for m in candidates if scope.contains(m.file, m.line)]
        names = tuple(sorted(m.name for m in on_lines))
        pending = [m.name for m in on_lines if m.status == Status.NOT_CHECKED]
        stage(
            f"{len(on_lines)} mutants on changed lines: {len(pending)} to test, {len(on_lines) - len(pending)} cached"
        )
        if not pending and test_changes.any:
            process.map_forgotten_tests(config, max_children)
        if pending:
            # 0: the configured worker count (run_names defaults to one worker, meant for confirmations).
            process.run_names(config, pending, max_children=max_children or 0, on_progress=on_progress)
            outcome.tested = list(pending)
        mutants = _read(config, files, names)
        memory = _Confirmations.load(config.root)
        memory.apply(mutants)
        survivors = [m.name for m in mutants if m.status == Status.SURVIVED and not memory.settled(m)]
        if confirm and survivors:
            stage(
                f"re-running {len(survivors)} survivor{'s' if len(survivors) != 1 else ''} alone to confirm"
            )
            # Back to "not checked" first: progress then counts real verdicts, and an interrupted
            # confirmation leaves these to be tested again rather than a stale "survived".
            chosen = set(survivors)
            reset_verdicts(config.root, files, lambda name, _code: name in chosen)
            process.run_names(config, survivors, max_children=1, on_progress=on_progress)
            mutants = _read(config, files, names)
            again = {m.name: m for m in mutants}
            for name in survivors:
                if again[name].status in DETECTED:
                    outcome.flaky.append(name)
                else:
                    outcome.confirmed.append(name)
                memory.record(again[name], flaky=again[name].status in DETECTED)
            memory.apply(mutants)
            memory.save(config.root)

    tested = set(outcome.tested)
    for mutant in mutants:
        mutant.reused = mutant.name not in tested
    outcome.warnings = list(config.warnings)
    mutants = pipeline.assign_causes(config, mutants, outcome.warnings)
    result = _result(config, mutants, scope, fail_under)
    result.started = started_at.isoformat(timespec="seconds")
    result.finished = datetime.now(UTC).isoformat(timespec="seconds")
    result.duration_s = time.monotonic() - started
    result.retested = len(tested)
    result.reused = len(mutants) - len(tested & {m.name for m in mutants})
    # Equivalent mutants recorded with `gate accept` do not count against the change; a PR looks at
    # changed lines only, so it never calls an acceptance elsewhere stale.
    accept.apply(result, accept.load(config.root / accept.ACCEPTED_PATH), lambda _entry: False)
    outcome.result = result
    return outcome


class _Confirmations:
    """Survivors already re-run alone, keyed by mutant name and the duration mutmut recorded for that
    verdict: a verdict mutmut has not replaced since (same duration) needs no second confirmation, and a
    kill that came from a confirmation keeps its flaky mark on later runs."""

    def __init__(self, entries: dict[str, dict[str, Any]]) -> None:
        self.entries = entries

    @classmethod
    def load(cls, root: Path) -> _Confirmations:
        try:
            data = json.loads((root / CONFIRMATIONS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls({})
        entries = data.get("mutants") if isinstance(data, dict) else None
        return cls(entries if isinstance(entries, dict) else {})

    def _current(self, mutant: Mutant) -> dict[str, Any] | None:
        entry = self.entries.get(mutant.name)
        if not isinstance(entry, dict) or mutant.duration is None or entry.get("duration") != mutant.duration:
            return None
        return entry

    def settled(self, mutant: Mutant) -> bool:
        entry = self._current(mutant)
        return entry is not None and not entry.get("flaky") and mutant.status == Status.SURVIVED

    def apply(self, mutants: list[Mutant]) -> None:
        for mutant in mutants:
            entry = self._current(mutant)
            if entry is not None and entry.get("flaky") and mutant.status in DETECTED:
                mutant.flaky = True

    def record(self, mutant: Mutant, *, flaky: bool) -> None:
        self.entries[mutant.name] = {"duration": mutant.duration, "flaky": flaky}

    def save(self, root: Path) -> None:
        data = {"mutants": dict(sorted(self.entries.items()))}
        write_text_atomic(root / CONFIRMATIONS_FILE, json.dumps(data, indent=1) + "\n")


def _read(config: GateConfig, files: tuple[str, ...], names: tuple[str, ...]) -> list[Mutant]:
    return read_results(config, Selection(files=files, names=names, kind=SELECTION))


def _result(
    config: GateConfig, mutants: list[Mutant], scope: DiffScope, fail_under: float | None
) -> RunResult:
    targets = {config.target_of(path) for path in scope.files}
    return RunResult(
        mutants=mutants,
        commit=pipeline.git_commit(config.root),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        target_floors={name: t.fail_under for name, t in config.targets.items() if name in targets},
        fail_under=fail_under,
        config_fingerprint=pipeline.config_fingerprint(config),
        selection=SELECTION,
        scope=scope.to_json(),
    )
