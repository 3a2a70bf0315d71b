"""GitHub Actions workflow commands for survivors: `::warning file=...,line=...,title=...::message`.

GitHub shows them inline on the pull request's diff; it keeps at most 10 warnings per step.
"""

from collections.abc import Mapping, Sequence

from gate.causes.labels import hint_for, label
from gate.model import Mutant
from gate.report.markdown import survivors_on_lines
from gate.report.span import first_change

# GitHub drops warning annotations past 10 per step (50 per job): say so instead of losing them silently.
MAX_ANNOTATIONS = 10


def escape_data(text: str) -> str:
    """The message part of a workflow command (as @actions/core escapes it)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): also ':' and ',' which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def in_github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def annotation(mutant: Mutant, others: int = 0) -> str:
    title = f"Surviving mutant: {label(mutant.cause)}"
    lines = []
    old, new = first_change(mutant.diff)
    if old or new:
        lines.append(f"{old} -> {new}")
    if mutant.tests:
        lines.append(f"{len(mutant.tests)} test{'s' if len(mutant.tests) != 1 else ''} ran it and passed.")
    lines.append(hint_for(mutant))
    if others:
        lines.append(
            f"{others} more mutant{'s' if others != 1 else ''} on this line also survive{'s' if others == 1 else ''}."
        )
    return (
        f"::warning file={escape_property(mutant.file)},line={mutant.line},"
        f"title={escape_property(title)}::{escape_data(chr(10).join(lines))}"
    )


def annotations(survivors: Sequence[Mutant], limit: int = MAX_ANNOTATIONS) -> list[str]:
    """One warning per changed line with survivors (the one the PR comment shows), then a notice if capped."""
    shown = survivors_on_lines([m for m in survivors if not m.flaky])
    per_line: dict[tuple[str, int], int] = {}
    for mutant in survivors:
        if not mutant.flaky:
            per_line[(mutant.file, mutant.line)] = per_line.get((mutant.file, mutant.line), 0) + 1
    out = [annotation(m, per_line[(m.file, m.line)] - 1) for m in shown[:limit]]
    if len(shown) > limit:
        rest = len(shown) - limit
        out.append(
            f"::notice title=gate::{rest} more line{'s' if rest != 1 else ''} with surviving mutants: "
            f"see the PR comment or the full report"
        )
    return out
