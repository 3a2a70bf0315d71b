"""The changed-lines scope: the mutants on the lines a change touched, run through the pipeline like any
other scope, re-using mutmut's cached verdicts; each survivor is then re-run alone (one worker): one
that is killed that way is flaky, not a survivor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import pipeline
from gate.atomic import write_text_atomic
from gate.config import GateConfig
from gate.model import DETECTED, Mutant, RunResult, Status
from gate.mutmut import runner
from gate.mutmut.process import ProgressCallback
from gate.mutmut.results import read_results
from gate.mutmut.selection import Selection
from gate.mutmut.state import reset_verdicts
from gate.pr.diffscope import DiffScope, changed_lines
from gate.pr.policy import judge_changed_lines

SELECTION = "changed-lines"
CONFIRMATIONS_FILE = Path(".gate") / "confirmed.json"

Stage = Callable[[str], None]


@dataclass
class ChangedLinesRun:
    """What a changed-lines run found and did."""

    execution: pipeline.Execution
    scope: DiffScope
    confirmed: list[str] = field(default_factory=list)  # survivors re-run alone that survived again
    flaky: list[str] = field(default_factory=list)  # survivors killed when re-run alone
    unplaced: int = 0  # mutants of changed files whose line could not be found (left out)

    @property
    def result(self) -> RunResult:
        return self.execution.result


def run_changed_lines(
    config: GateConfig,
    base: str,
    *,
    max_new_survivors: int = 0,
    fail_under: float | None = None,
    max_children: int | None = None,
    confirm: bool = True,
    on_progress: ProgressCallback | None = None,
    on_stage: Stage | None = None,
    causes: bool = True,
    witness_budget: float = 0.0,
) -> ChangedLinesRun:
    """Scope the diff since `base`, bring the mutants on changed lines to a verdict, confirm the
    survivors, and judge them by the PR policy (`fail_under` is the PR's floor)."""
    stage = on_stage or (lambda _msg: None)
    scope = changed_lines(config.root, base, targets=config.target_files(), test_roots=config.tests)
    stage(scope.describe() + ("" if scope.files else ": no mutants on changed lines"))
    steps = _Steps(config, scope, confirm=confirm, stage=stage, on_progress=on_progress)
    execution = pipeline.execute(
        config,
        Selection(files=tuple(sorted(scope.files)), kind=SELECTION, label=base),
        fail_under=fail_under,
        max_children=max_children,
        on_progress=on_progress,
        narrow=steps.narrow,
        settle=steps.settle,
        judge=lambda result: judge_changed_lines(result, max_new_survivors, fail_under),
        scope=scope.to_json(),
        causes=causes,
        witness_budget=witness_budget,
    )
    return ChangedLinesRun(execution, scope, steps.confirmed, steps.flaky, steps.unplaced)


class _Steps:
    """What the changed-lines scope adds to the pipeline's run, under its lock."""

    def __init__(
        self,
        config: GateConfig,
        scope: DiffScope,
        *,
        confirm: bool,
        stage: Stage,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.config, self.scope, self.confirm = config, scope, confirm
        self.stage, self.on_progress = stage, on_progress
        self.confirmed: list[str] = []
        self.flaky: list[str] = []
        self.unplaced = 0

    def narrow(self, selection: Selection) -> Selection:
        """Once generated: the mutants whose mutated line is a changed line."""
        candidates = read_results(self.config, selection)
        self.unplaced = sum(1 for m in candidates if m.line <= 0)
        on_lines = [m for m in candidates if self.scope.contains(m.file, m.line)]
        pending = [m.name for m in on_lines if m.status == Status.NOT_CHECKED]
        self.stage(
            f"{len(on_lines)} mutants on changed lines: {len(pending)} to test, "
            f"{len(on_lines) - len(pending)} cached"
        )
        return Selection(
            files=tuple(sorted({m.file for m in on_lines})),
            names=tuple(sorted(m.name for m in on_lines)),
            kind=selection.kind,
            label=selection.label,
        )

    def settle(self, mutants: list[Mutant]) -> list[Mutant]:
        """Each survivor not confirmed before is re-run alone; the confirmations are remembered."""
        config = self.config
        memory = _Confirmations.load(config.root)
        memory.apply(mutants)
        survivors = [m.name for m in mutants if m.status == Status.SURVIVED and not memory.settled(m)]
        if not (self.confirm and survivors):
            return mutants
        self.stage(
            f"re-running {len(survivors)} survivor{'s' if len(survivors) != 1 else ''} alone to confirm"
        )
        # Back to "not checked" first: progress then counts real verdicts, and an interrupted
        # confirmation leaves these to be tested again rather than a stale "survived".
        files = tuple(sorted({m.file for m in mutants}))
        names = tuple(sorted(m.name for m in mutants))
        chosen = set(survivors)
        reset_verdicts(config.root, files, lambda name, _code: name in chosen)
        runner.run_names(config, survivors, max_children=1, on_progress=self.on_progress)
        mutants = read_results(config, Selection(files=files, names=names, kind=SELECTION))
        again = {m.name: m for m in mutants}
        for name in survivors:
            if again[name].status in DETECTED:
                self.flaky.append(name)
            else:
                self.confirmed.append(name)
            memory.record(again[name], flaky=again[name].status in DETECTED)
        memory.apply(mutants)
        memory.save(config.root)
        return mutants


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
        # A memory, not a record: an entry of the wrong shape is dropped and its survivor confirmed again.
        if not isinstance(entries, dict):
            return cls({})
        return cls({name: entry for name, entry in entries.items() if _valid_confirmation(entry)})

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


def _valid_confirmation(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("duration"), (int, float))
        and isinstance(entry.get("flaky"), bool)
    )
