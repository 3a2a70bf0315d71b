"""The runner: brings every mutant of a selection to a verdict, re-testing only what is stale.

The freshness protocol first (gate.mutmut.freshness), then mutmut over what has no valid verdict
(gate.mutmut.process). The caller holds the run lock (gate.lock) while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gate.config import GateConfig
from gate.exit_code import RunError
from gate.mutmut import freshness, generated, noise, process
from gate.mutmut.line_selection import CensusAhead
from gate.mutmut.names import local_function_of
from gate.mutmut.selection import Selection, for_names
from gate.mutmut.state import FileMeta, meta_path, read_or_repair

# Narrows a selection once its mutants are generated (e.g. to those on a diff's changed lines).
Narrow = Callable[[Selection], Selection]


@dataclass
class RunOutcome:
    """What one runner call did."""

    selection: Selection  # what was run: the selection given, narrowed when asked to
    tested: list[str] = field(default_factory=list)  # mutants (re-)tested by this call
    reused: list[str] = field(default_factory=list)  # mutants of the selection whose cached verdict stands


def run(
    config: GateConfig,
    selection: Selection,
    *,
    max_children: int | None = None,
    on_progress: process.ProgressCallback | None = None,
    narrow: Narrow | None = None,
    line_selection: bool = False,
) -> RunOutcome:
    """Bring every mutant of `selection` to a verdict, re-testing only what is stale:
    new or changed functions (mutmut's cache), verdicts the test-hash rule dropped, unfinished ones,
    and every mutant named explicitly in the selection. `narrow`, when given, picks the mutants
    from the generated ones. With `line_selection`, the census starts at once and each mutant runs only
    the tests that execute its mutated line (gate.mutmut.line_selection)."""
    root = config.root
    # A first run tests every mutant: its census starts before anything, beside the generation too.
    first = line_selection and not any(meta_path(root, path).is_file() for path in selection.files)
    ahead = CensusAhead(config) if first else None
    fresh = freshness.refresh(config)
    before = _snapshot(root, selection.files)

    full = (
        narrow is None and selection.kind in ("all", "targets") and set(fresh.files) <= set(selection.files)
    )
    if full:
        # Every mutatable file is in scope: plain `mutmut run` tests exactly the mutants without a
        # verdict (new, changed, reset), with no name list to build or match.
        names: list[str] | None = None
    else:
        generate(config, max_children=max_children)
        if narrow is not None:
            selection = narrow(selection)
        names = _names_to_test(root, selection)

    runs_mutmut = names is None or bool(names)
    pending = {name for name, (code, _d, _h) in before.items() if code is None}
    # The census costs a suite run: started only when mutants are sure to be tested (every one on a
    # first run). A full run's edited functions get no verdict reset before mutmut generates them, so
    # such a run may go without line-level selection: slower, never wrong.
    if ahead is None and line_selection and (bool(names) or (names is None and bool(pending))):
        ahead = CensusAhead(config)
    freshness.settle(config, fresh, runs_mutmut=runs_mutmut, max_children=max_children)
    if runs_mutmut:
        total = len(names) if names is not None else None
        settings = ahead.entry_args() if ahead is not None else []
        process.run_mutmut(
            config, names or [], max_children, on_progress, selection, total, pending, settings
        )
    if ahead is not None:
        ahead.join()  # mutmut waited for it before its first mutant: it is in (not joined on an error)

    outcome = RunOutcome(selection=selection)
    after = _snapshot(root, selection.files)
    for name, (code, duration, fhash) in after.items():
        if not selection.contains(name) or code in (None, noise.SKIPPED_CODE):
            continue  # no verdict, or noise: neither tested nor re-used
        old = before.get(name)
        if names is not None:
            retested = name in names
        else:
            retested = old is None or old[0] is None or old[1] != duration or old[2] != fhash
        (outcome.tested if retested else outcome.reused).append(name)
    return outcome


def run_names(
    config: GateConfig,
    names: list[str] | tuple[str, ...],
    *,
    max_children: int = 1,
    on_progress: process.ProgressCallback | None = None,
) -> None:
    """Re-test exactly these mutants (cached verdicts ignored), e.g. one survivor alone with one worker
    to confirm it is not flaky."""
    if not names:
        return
    selection = for_names(config, names)
    freshness.ignore_state_dirs(config.root)
    freshness.repair(config, list(selection.files))
    process.run_mutmut(config, list(names), max_children, on_progress, selection, len(names))


def generate(config: GateConfig, *, max_children: int | None = None) -> dict[str, FileMeta]:
    """Generate the mutants (mutants/, .meta, .spans) without testing any: mutmut's own generation code
    in a subprocess, skipped while nothing it reads changed (gate.mutmut.generated). Functions that
    changed get null verdicts, exactly as `mutmut run` would do. Returns the .meta of every mutated
    file, keyed by source path."""
    root = config.root
    freshness.ignore_state_dirs(root)
    key = generated.content_key(config, process.entry_args(config))
    if not generated.is_fresh(config, key):
        done = process.call(config, "generate", max_children)
        if done.returncode != 0:
            raise RunError(
                f"mutmut could not generate mutants: {process.last_line(done.output)} (log: {process.LOG_FILE})"
            )
        generated.record(config, key)
    metas: dict[str, FileMeta] = {}
    for path in config.mutatable_files():
        meta = read_or_repair(root, path)
        if meta is not None:
            metas[path] = meta
    return metas


def list_mutants(config: GateConfig, selection: Selection) -> dict[str, list[str]]:
    """The mutant names of a selection by file, after generating them (nothing is tested)."""
    metas = generate(config)
    return {
        path: [name for name in metas[path].exit_code_by_key if selection.contains(name)]
        for path in selection.files
        if path in metas
    }


# -- internals -------------------------------------------------------------------------------------------

Snapshot = dict[str, tuple[int | None, float | None, str | None]]


def _snapshot(root: Path, files: tuple[str, ...] | list[str]) -> Snapshot:
    """name -> (exit code, duration, hash of its function) for the mutants of `files`."""
    snap: Snapshot = {}
    for path in files:
        meta = read_or_repair(root, path)
        if meta is None:
            continue
        for name, code in meta.exit_code_by_key.items():
            local = local_function_of(name)
            snap[name] = (code, meta.durations_by_key.get(name), meta.hash_by_function_name.get(local))
    return snap


def _names_to_test(root: Path, selection: Selection) -> list[str]:
    names: list[str] = []
    found: set[str] = set()
    for path in selection.files:
        meta = read_or_repair(root, path)
        if meta is None:
            continue
        for name, code in meta.exit_code_by_key.items():
            if not selection.contains(name):
                continue
            found.add(name)
            # Noise is never run, even when named (gate.mutmut.noise marked it skipped).
            if code is None or (selection.retests_cached and code != noise.SKIPPED_CODE):
                names.append(name)
    missing = set(selection.names) - found
    if missing:
        raise RunError(f"no such mutant: {sorted(missing)[0]} (it may have been renumbered by an edit)")
    return sorted(names)
