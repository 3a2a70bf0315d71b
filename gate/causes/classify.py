"""Causes: why each mutant that was not killed got through (hidden by mocks, partly mocked, weak assertion...).

Pure: reads the mutants (mutmut's tests per function) and the mock census, sets cause, evidence and a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.causes.census import Census
from gate.model import Cause, Mutant, Replacement, Status

CLASSIFIED = frozenset({Status.SURVIVED, Status.NO_TESTS})
# Targets whose replacement hides the MUTANT_UNDER_TEST variable mutmut selects the mutant with.
ENVIRON_CLEARED = frozenset({"os.environ", "os.environ[MUTANT_UNDER_TEST]"})
_SEPARATOR = "ǁ"  # mutmut's separator in mangled method names: xǁClassǁmethod
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def module_of(mutant_name: str) -> str:
    """The module of a mutmut name: ``pkg.mod.xǁCǁm__mutmut_3`` -> ``pkg.mod``."""
    parts = mutant_name.split("__mutmut_", 1)[0].split(".")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].startswith(("x_", "x" + _SEPARATOR)):
            return ".".join(parts[:index])
    return ".".join(parts[:-1])


def qualname_of(mutant: Mutant) -> str:
    """The function's qualname: Mutant.function, else decoded from the mangled name."""
    if mutant.function:
        return mutant.function
    mangled = mutant.mangled_function[len(module_of(mutant.name)) + 1 :]
    if mangled.startswith("x" + _SEPARATOR):
        return mangled[2:].replace(_SEPARATOR, ".")
    return mangled[2:]


@dataclass(frozen=True)
class Scope:
    """A mutated function and what encloses it, as dotted names: function, classes (innermost first), module."""

    module: str
    qualname: str

    @classmethod
    def of(cls, mutant: Mutant) -> Scope:
        return cls(module_of(mutant.name), qualname_of(mutant))

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
            for name in _names(replacement):
                self.by_name.setdefault(name, []).append(replacement)

    def replacing(self, scope: Scope) -> list[Replacement]:
        found: dict[tuple[str, str, str, str], Replacement] = {}
        for level in scope.levels():
            for r in self.by_name.get(level, []):
                found.setdefault((r.test, r.target, r.kind, r.site), r)
        return sorted(found.values(), key=_replacement_order)


def classify(mutants: Iterable[Mutant], census: Census) -> None:
    """Set ``cause``, ``mocks``, ``replaced_in`` and ``hint`` on every survived or no-tests mutant.

    ``Mutant.tests`` are the tests mutmut links to the function (they "run it"); the census says which tests
    replace the function, its class or its module. Other mutants are left untouched.
    """
    index = _Index(census)
    replacing_cache: dict[Scope, list[Replacement]] = {}
    for mutant in mutants:
        if mutant.status not in CLASSIFIED:
            continue
        scope = Scope.of(mutant)
        if scope not in replacing_cache:
            replacing_cache[scope] = index.replacing(scope)
        _classify_one(mutant, scope, replacing_cache[scope], census)


def _classify_one(mutant: Mutant, scope: Scope, replacing: list[Replacement], census: Census) -> None:
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
            f"replaced in {_count(len(replaced_in), 'test')}, run for real {runners} with this change: "
            f"assert what `{scope.name}` does in `{fastest}`"
        )
        return
    callees = _mutated_names(mutant.diff)
    swallowing: list[Replacement] = []
    touching: list[Replacement] = []
    for test in running:
        for r in census.of(test):
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
    where = _count(len(tests), "test")
    if scope.function in levels:
        return f"`{scope.qualname}` is replaced in {where} and run by none: test it directly"
    classes = [level for level in scope.levels()[1:-1] if level in levels]
    if classes:
        owner = classes[0][len(scope.module) + 1 :]
        return f"its class `{owner}` is replaced in {where} and no test runs `{scope.qualname}`: test it directly"
    return f"its module `{scope.module}` is replaced in {where} and no test runs `{scope.qualname}`: test it directly"


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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def short(test: str) -> str:
    """A node id without its file: ``tests/x.py::TestA::test_b`` -> ``TestA::test_b``."""
    return test.split("::", 1)[1] if "::" in test else test


def unknown_tests(mutants: Iterable[Mutant], census: Census) -> set[str]:
    """Tests mutmut ran that the census never saw: a sign the two ran different suites or rootdirs."""
    seen = set(census.tests)
    return {test for mutant in mutants for test in mutant.tests if test not in seen}


@dataclass(frozen=True)
class FunctionTally:
    """One function's line in a report: its mutants, survivors, and the tests that run or replace it."""

    function: str  # dotted
    qualname: str
    file: str
    mutants: int
    survivors: int
    run_by: int
    replaced_in: int

    def line(self) -> str:
        return (
            f"`{self.qualname}`: {_count(self.mutants, 'mutant')}, {self.survivors} "
            f"{'survives' if self.survivors == 1 else 'survive'}; "
            f"run by {_count(self.run_by, 'test')}, replaced in {self.replaced_in}"
        )


def tally(mutants: Iterable[Mutant], census: Census | None = None) -> list[FunctionTally]:
    """Per function, in order of first appearance: mutants, survivors, tests running it, tests replacing it.

    Without a census the replacing tests are those the classifier put in ``replaced_in`` (exact for every
    function with a survivor, which is where a report shows the tally)."""
    index = _Index(census) if census is not None else None
    groups: dict[Scope, list[Mutant]] = {}
    for mutant in mutants:
        groups.setdefault(Scope.of(mutant), []).append(mutant)
    result = []
    for scope, group in groups.items():
        running = {test for mutant in group for test in mutant.tests}
        if index is not None:
            replacing = {r.test for r in index.replacing(scope)} - running
        else:
            replacing = {test for mutant in group for test in mutant.replaced_in}
        survivors = sum(1 for mutant in group if mutant.status in CLASSIFIED)
        result.append(
            FunctionTally(
                scope.function,
                scope.qualname,
                group[0].file,
                len(group),
                survivors,
                len(running),
                len(replacing),
            )
        )
    return result
