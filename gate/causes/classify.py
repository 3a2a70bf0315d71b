"""Causes: why each mutant that was not killed got through (hidden by mocks, partly mocked, weak assertion...).

Pure: reads the mutants (mutmut's tests per function) and the mock census, sets cause, evidence and a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gate.causes import callbacks, labels
from gate.causes.callbacks import Handoff
from gate.causes.census import Census
from gate.causes.labels import FunctionTally, plural
from gate.causes.reach import Branch, Reach
from gate.model import Cause, Mutant, Replacement, Status
from gate.mutmut.names import module_of

CLASSIFIED = frozenset({Status.SURVIVED, Status.NO_TESTS})
# Targets whose replacement hides the MUTANT_UNDER_TEST variable mutmut selects the mutant with.
ENVIRON_CLEARED = frozenset({"os.environ", "os.environ[MUTANT_UNDER_TEST]"})
# Replacements that still run the real code (pytest-mock's spy wraps it): they hide nothing.
RUNS_THE_CODE = frozenset({"mocker.spy"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Scope:
    """A mutated function and what encloses it, as dotted names: function, classes (innermost first), module."""

    module: str
    qualname: str

    @classmethod
    def of(cls, mutant: Mutant) -> Scope:
        return cls(module_of(mutant.name), mutant.qualname)

    @property
    def function(self) -> str:
        return f"{self.module}.{self.qualname}"

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def levels(self) -> list[str]:
        """The dotted names whose replacement hides the function: itself, each enclosing class, its module."""
        parts = self.qualname.split(".")
        return [f"{self.module}.{'.'.join(parts[:n])}" for n in range(len(parts), 0, -1)] + [self.module]

    def touched_by(self, replacement: Replacement) -> bool:
        """True when a replacement is in the function's module (its class, a helper, a module global)."""
        prefix = self.module + "."
        return any(name == self.module or name.startswith(prefix) for name in _names(replacement))


def _names(replacement: Replacement) -> tuple[str, ...]:
    return (replacement.target, replacement.original) if replacement.original else (replacement.target,)


class _Index:
    """The census looked up by dotted name (target and original)."""

    def __init__(self, census: Census) -> None:
        self.census = census
        self.by_name: dict[str, list[Replacement]] = {}
        for replacement in census.replacements:
            if replacement.kind in RUNS_THE_CODE:
                continue
            for name in _names(replacement):
                self.by_name.setdefault(name, []).append(replacement)

    def mocking(self, names: set[str]) -> list[str]:
        """The sites of the replacements of any attribute called one of ``names``."""
        return sorted(
            {
                r.site
                for r in self.census.replacements
                if r.target.rsplit(".", 1)[-1] in names and r.kind not in RUNS_THE_CODE
            }
        )

    def replacing(self, scope: Scope) -> list[Replacement]:
        found: dict[tuple[str, str, str, str], Replacement] = {}
        for level in scope.levels():
            for r in self.by_name.get(level, []):
                found.setdefault((r.test, r.target, r.kind, r.site), r)
        return sorted(found.values(), key=_replacement_order)


def classify(
    mutants: Iterable[Mutant],
    census: Census,
    *,
    handoffs: Mapping[tuple[str, str], list[Handoff]] | None = None,
    reach: Reach | None = None,
) -> None:
    """Set ``cause``, ``mocks``, ``replaced_in`` and ``hint`` on every survived or no-tests mutant.

    ``Mutant.tests`` are the tests mutmut links to the function (they "run it"); the census says which tests
    replace the function, its class or its module; ``handoffs`` (gate.causes.callbacks, by file and
    qualname) where the code passes an untested function as a callback; ``reach`` (per-test lines, when
    recorded) which of the tests running the function execute the mutated line. Other mutants are left
    untouched.
    """
    index = _Index(census)
    replacing_cache: dict[Scope, list[Replacement]] = {}
    for mutant in mutants:
        if mutant.status not in CLASSIFIED:
            continue
        scope = Scope.of(mutant)
        if scope not in replacing_cache:
            replacing_cache[scope] = index.replacing(scope)
        _classify_one(mutant, scope, replacing_cache[scope], census, reach)
        uses = (handoffs or {}).get((mutant.file, scope.qualname))
        if mutant.cause is Cause.UNTESTED and uses:
            mutant.hint = callbacks.hint(scope.qualname, uses, index.mocking({u.callee for u in uses}))


def _classify_one(
    mutant: Mutant, scope: Scope, replacing: list[Replacement], census: Census, reach: Reach | None
) -> None:
    running = list(dict.fromkeys(mutant.tests))
    run_set = set(running)
    # A test that runs the function and also patches it (a spy, a patch undone midway) counts as running it.
    others = [r for r in replacing if r.test not in run_set]
    replaced_in = sorted({r.test for r in others})
    mutant.mocks, mutant.replaced_in = [], []
    if not running:
        if others:
            mutant.cause, mutant.mocks, mutant.replaced_in = Cause.HIDDEN_BY_MOCK, others, replaced_in
            mutant.hint = _hidden_hint(scope, others, replaced_in)
        else:
            mutant.cause = Cause.UNTESTED
            mutant.hint = f"no test runs `{scope.qualname}` and none replaces it: add a test that calls it"
        return
    clearing = [r for test in running for r in census.of(test) if r.target in ENVIRON_CLEARED]
    if clearing and mutant.status is Status.SURVIVED:
        clearing.sort(key=_replacement_order)
        mutant.cause, mutant.mocks = Cause.UNRELIABLE, _unique(clearing)
        first = clearing[0]
        mutant.hint = (
            f"`{short(first.test)}` clears os.environ ({first.site}) where mutmut reads MUTANT_UNDER_TEST: "
            "keep that variable (patch.dict without clear=True) and re-check this mutant"
        )
        return
    if others:
        mutant.cause, mutant.mocks, mutant.replaced_in = Cause.PARTLY_MOCKED, others, replaced_in
        fastest = short(running[0])
        runners = (
            f"only by `{fastest}`, which passes"
            if len(running) == 1
            else f"by {len(running)} tests that pass"
        )
        mutant.hint = (
            f"replaced in {plural(len(replaced_in), 'test')}, run for real {runners} with this change: "
            f"assert what `{scope.name}` does in `{fastest}`"
        )
        return
    line_reach = reach.of(mutant) if reach is not None else None
    if line_reach is not None and not line_reach.runners:
        mutant.cause = Cause.LINE_NOT_RUN
        mutant.hint = line_hint(scope, mutant.line, line_reach.branch)
        return
    # Weak only where a test runs the line: the hint names one of those, not any test of the function.
    _classify_weak(mutant, scope, line_reach.runners if line_reach is not None else running, census)


def _classify_weak(mutant: Mutant, scope: Scope, running: list[str], census: Census) -> None:
    callees = _mutated_names(mutant.diff)
    swallowing: list[Replacement] = []
    touching: list[Replacement] = []
    for test in running:
        for r in census.of(test):
            if r.kind in RUNS_THE_CODE:
                continue
            if r.target.rsplit(".", 1)[-1] in callees:
                swallowing.append(r)
            elif scope.touched_by(r):
                touching.append(r)
    # Sorted, not in test-speed order: timings vary between runs, the evidence must not.
    swallowing.sort(key=_replacement_order)
    touching.sort(key=_replacement_order)
    mutant.cause, mutant.mocks = Cause.WEAK_ASSERTION, _unique(swallowing + touching)
    mutant.hint = _weak_hint(scope, running, swallowing, mutant.diff)


def _replacement_order(r: Replacement) -> tuple[str, str, str]:
    return (r.test, r.site, r.target)


def _hidden_hint(scope: Scope, replacing: list[Replacement], tests: list[str]) -> str:
    levels = {name for r in replacing for name in _names(r)}
    where = plural(len(tests), "test")
    if scope.function in levels:
        return f"`{scope.qualname}` is replaced in {where} and run by none: test it directly"
    classes = [level for level in scope.levels()[1:-1] if level in levels]
    if classes:
        owner = classes[0][len(scope.module) + 1 :]
        return f"its class `{owner}` is replaced in {where} and no test runs `{scope.qualname}`: test it directly"
    return f"its module `{scope.module}` is replaced in {where} and no test runs `{scope.qualname}`: test it directly"


def line_hint(scope: Scope, line: int, branch: Branch | None) -> str:
    """``the tests that run `f` never reach line 46 (under `if ssl:`, line 45): add a test for that branch``."""
    where = ""
    if branch is not None:
        part = "the `else` of" if branch.otherwise else "under"
        where = f" ({part} `{branch.text}`, line {branch.line})"
    return f"the tests that run `{scope.qualname}` never reach line {line}{where}: add a test for that branch"


def _weak_hint(scope: Scope, running: list[str], swallowing: list[Replacement], diff: str) -> str:
    if swallowing:
        mock = swallowing[0]
        callee = mock.target.rsplit(".", 1)[-1]
        return (
            f"assert on the arguments passed to the mock of `{callee}` in `{short(mock.test)}` ({mock.site})"
        )
    fastest = short(running[0])
    original = _removed_line(diff)
    if original.startswith("return") or original.startswith("yield"):
        return f"assert the exact value `{scope.name}` returns in `{fastest}`: it passes when `{original}` changes"
    if original:
        return f"make `{fastest}` check the effect of `{original}` exactly: it passes when that line changes"
    return f"make `{fastest}` assert exact results of `{scope.name}`, not just that it ran"


def _mutated_names(diff: str) -> set[str]:
    """Identifiers on the changed lines of a mutant's diff (what a swallowing mock would be named)."""
    names: set[str] = set()
    for line in diff.splitlines():
        if line[:1] in "+-" and not line.startswith(("+++", "---")):
            names.update(_IDENTIFIER.findall(line[1:]))
    return names


def _removed_line(diff: str) -> str:
    for line in diff.splitlines():
        if line.startswith("-") and not line.startswith("---"):
            return line[1:].strip()
    return ""


def _unique(replacements: Sequence[Replacement]) -> list[Replacement]:
    return list({(r.test, r.target, r.kind, r.site): r for r in replacements}.values())


def short(test: str) -> str:
    """A node id without its file: ``tests/x.py::TestA::test_b`` -> ``TestA::test_b``."""
    return test.split("::", 1)[1] if "::" in test else test


def unknown_tests(mutants: Iterable[Mutant], census: Census) -> set[str]:
    """Tests mutmut ran that the census never saw: a sign the two ran different suites or rootdirs."""
    seen = set(census.tests)
    return {test for mutant in mutants for test in mutant.tests if test not in seen}


def tally(mutants: Iterable[Mutant], census: Census | None = None) -> list[FunctionTally]:
    """Per function, in order of first appearance: mutants, survivors, tests running it, tests replacing it.

    With a census the replacing tests are looked up in it; without, they are those the classifier put in
    ``replaced_in`` (exact for every function with a survivor, which is where a report shows the tally)."""
    if census is None:
        return labels.tally(mutants)
    index = _Index(census)
    return labels.tally(
        mutants, lambda module, qualname: {r.test for r in index.replacing(Scope(module, qualname))}
    )
