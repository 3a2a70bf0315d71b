"""The words of the causes, in one place: each cause's label, default hint, report section and SARIF rule,
their order, and the per-function tally line. Adding a cause means a row here (and its rule in classify).

Shared by the classifier and every renderer; it judges nothing and imports no renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gate.model import UNDETECTED, Cause, Mutant
from gate.mutmut.names import module_of


@dataclass(frozen=True)
class Words:
    """How one cause is told."""

    label: str  # in the PR comment, annotations and SARIF: "hidden by mock"
    hint: str  # what to do, when the classifier gave no specific hint
    rule: str  # SARIF rule name
    rule_text: str  # SARIF rule description
    evidence: str = "mocks"  # terminal report: what its replacements are called


# One row per cause, in the order of model.Cause, then the survivors without a cause (no census).
WORDS: dict[Cause | None, Words] = {
    Cause.HIDDEN_BY_MOCK: Words(
        "hidden by mock",
        "No test runs this code: the tests that reach it replace it with a mock. Add a test that runs it "
        "for real.",
        "HiddenByMock",
        "A mutant survived because no test runs this function: the tests that reach it replace it with a mock.",
        "replaced at",
    ),
    Cause.PARTLY_MOCKED: Words(
        "partly mocked",
        "The tests that run this code for real do not notice the change, and the others mock it out. Assert "
        "on its result in a test that does not patch it.",
        "PartlyMocked",
        "A mutant survived: the tests that run this function for real do not notice it, and other tests "
        "replace the function with a mock.",
        "replaced at",
    ),
    Cause.WEAK_ASSERTION: Words(
        "weak assertion",
        "Tests run this line and all pass with the change: assert the exact value or side effect it produces.",
        "WeakAssertion",
        "A mutant survived although tests run this function: their assertions do not notice the change.",
        "mocks in those tests",
    ),
    Cause.LINE_NOT_RUN: Words(
        "line not run",
        "The tests that run this function never reach this line: add a test for that branch.",
        "LineNotRun",
        "A mutant survived because the tests that run this function never execute the mutated line.",
    ),
    Cause.UNTESTED: Words(
        "untested",
        "No test reaches this code: add one.",
        "Untested",
        "A mutant survived because no test reaches this function.",
    ),
    Cause.UNRELIABLE: Words(
        "unreliable verdict",
        "A test that runs this clears os.environ, so the verdict may be false: re-check it.",
        "UnreliableVerdict",
        "A mutant survived, but a test that runs it clears os.environ, so the verdict may be false.",
        "os.environ cleared at",
    ),
    None: Words(
        "not classified",
        "Add or strengthen a test that fails when this line changes.",
        "SurvivingMutant",
        "A mutant survived: no test failed when this line was changed.",
    ),
}
# The order of causes in lists and tables (the PR comment, SARIF rules): WORDS' order.
RANK: dict[Cause | None, int] = {cause: rank for rank, cause in enumerate(WORDS)}

# The terminal report's sections, one per cause, the most dangerous first: code the tests replace instead of
# running. Partly-mocked code is run for real by some tests: it has its own heading, never the hidden one.
SECTIONS: tuple[tuple[tuple[Cause | None, ...], str], ...] = (
    ((Cause.HIDDEN_BY_MOCK,), "Hidden by mocks: tests replace this code instead of running it"),
    (
        (Cause.PARTLY_MOCKED,),
        "Partly mocked: tests run this code and still pass when it changes; other tests replace it",
    ),
    ((Cause.WEAK_ASSERTION,), "Weak assertions: tests run this code and still pass when it changes"),
    ((Cause.LINE_NOT_RUN,), "Lines not run: tests enter these functions but never reach the mutated line"),
    ((Cause.UNRELIABLE,), "Unreliable verdicts: a test that runs this code clears os.environ; re-check"),
    ((Cause.UNTESTED,), "Untested: no test runs or replaces this code"),
    ((None,), "Without a cause (no mock census for this run)"),
)
SECTION_ORDER: list[Cause] = [cause for causes, _ in SECTIONS for cause in causes if cause is not None]


def words(cause: Cause | None) -> Words:
    return WORDS.get(cause, WORDS[None])


def label(cause: Cause | None) -> str:
    return WORDS[cause].label if cause in WORDS else str(cause)


def hint_for(mutant: Mutant) -> str:
    """The classifier's hint for a mutant, else its cause's default one."""
    return mutant.hint or words(mutant.cause).hint


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 test``, ``2 tests`` (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


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
            f"`{self.qualname}`: {plural(self.mutants, 'mutant')}, {self.survivors} "
            f"{'survives' if self.survivors == 1 else 'survive'}; "
            f"run by {plural(self.run_by, 'test')}, replaced in {self.replaced_in}"
        )


# (module, qualname) -> the tests that replace that function, its class or its module.
Replacing = Callable[[str, str], set[str]]


def tally(mutants: Iterable[Mutant], replacing: Replacing | None = None) -> list[FunctionTally]:
    """Per function, in order of first appearance: mutants, survivors, tests running it, tests replacing it.

    Without `replacing` the replacing tests are those the classifier put in ``replaced_in`` (exact for
    every function with a survivor, which is where a report shows the tally)."""
    groups: dict[tuple[str, str], list[Mutant]] = {}
    for mutant in mutants:
        groups.setdefault((module_of(mutant.name), mutant.qualname), []).append(mutant)
    result = []
    for (module, qualname), group in groups.items():
        running = {test for mutant in group for test in mutant.tests}
        if replacing is not None:
            replaced = replacing(module, qualname) - running
        else:
            replaced = {test for mutant in group for test in mutant.replaced_in}
        survivors = sum(1 for mutant in group if mutant.status in UNDETECTED)
        result.append(
            FunctionTally(
                f"{module}.{qualname}",
                qualname,
                group[0].file,
                len(group),
                survivors,
                len(running),
                len(replaced),
            )
        )
    return result
