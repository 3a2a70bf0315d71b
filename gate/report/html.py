"""The HTML renderer: one self-contained page with the summary, the trend and the survivors in their source.

Everything it shows is passed in (the result, the source texts, the past runs); it reads no file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from gate import __version__
from gate.model import CAUSES_NOT_COMPUTED, PARTIAL, UNDETECTED, Counts, Mutant, RunRecord, RunResult, Status
from gate.report import witness as witness_words
from gate.report.chart import trend_svg

# Shown in the source view: what the tests let through, and what a person decided about.
SHOWN = UNDETECTED | {Status.SUSPICIOUS, Status.ACCEPTED}

_ENV = Environment(
    loader=PackageLoader("gate", "report/templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass
class SourceLine:
    number: int
    text: str
    mutants: list[Mutant] = field(default_factory=list)


@dataclass
class SourceFile:
    path: str
    target: str
    counts: Counts
    lines: list[SourceLine]  # empty when the source was not given
    unplaced: list[Mutant]  # shown mutants whose line is not in the given source


def render(
    result: RunResult,
    *,
    sources: Mapping[str, str] | None = None,
    runs: Sequence[RunRecord] = (),
    **_options: Any,
) -> str:
    """The `-f html` entry point of gate.report.render."""
    return render_html(result, sources or {}, runs)


def render_html(
    result: RunResult,
    sources: Mapping[str, str],
    runs: Sequence[RunRecord] = (),
    title: str = "Mutation testing report",
) -> str:
    """The page. ``sources`` maps repository-relative paths to file text; ``runs`` is the history, oldest first."""
    template = _ENV.get_template("report.html.j2")
    return template.render(**context(result, sources, runs, title))


def context(
    result: RunResult, sources: Mapping[str, str], runs: Sequence[RunRecord], title: str
) -> dict[str, Any]:
    """The template's data; public so tests can check the figures the page is built from."""
    groups = result.by_target()
    shown = [m for m in result.mutants if m.status in SHOWN]
    causes = sorted({cause_key(m) for m in shown})
    return {
        "title": title,
        "causes_not_computed": CAUSES_NOT_COMPUTED[:1].upper() + CAUSES_NOT_COMPUTED[1:],
        "partial": PARTIAL[:1].upper() + PARTIAL[1:],
        "version": __version__,
        "result": result,
        "summary": result.counts(),
        "targets": [
            (name, Counts.of(mutants), result.target_floors.get(name))
            for name, mutants in sorted(groups.items())
        ],
        "causes": causes,
        "all_causes": sorted({c for mutants in groups.values() for c in Counts.of(mutants).by_cause}),
        "files": _files(result.mutants, sources),
        "shown_total": len(shown),
        "trend": Markup(_trend(runs)),
        "runs": list(runs),
        "comparison": result.comparison,
        "cause_key": cause_key,
        "witness_sentence": witness_words.sentence,
        "suggestion_title": witness_words.suggestion_title,
        "mutant_ids": {m.id for m in shown},
    }


def cause_key(mutant: Mutant) -> str:
    """What the cause filter matches: the cause, else the status (accepted, suspicious, survived)."""
    return str(mutant.cause) if mutant.cause else str(mutant.status)


def _files(mutants: Sequence[Mutant], sources: Mapping[str, str]) -> list[SourceFile]:
    by_file: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_file.setdefault(mutant.file, []).append(mutant)
    files = []
    for path, file_mutants in sorted(by_file.items()):
        shown = sorted((m for m in file_mutants if m.status in SHOWN), key=lambda m: (m.line, m.id))
        if not shown:
            continue
        text = sources.get(path)
        lines = (
            [SourceLine(n, line) for n, line in enumerate(text.splitlines(), 1)] if text is not None else []
        )
        unplaced = []
        for mutant in shown:
            if 1 <= mutant.line <= len(lines):
                lines[mutant.line - 1].mutants.append(mutant)
            else:
                unplaced.append(mutant)
        files.append(SourceFile(path, file_mutants[0].target, Counts.of(file_mutants), lines, unplaced))
    return files


def _trend(runs: Sequence[RunRecord]) -> str:
    names = sorted({name for run in runs for name in run.targets})
    series = {
        name: [run.targets[name].score if name in run.targets else None for run in runs] for name in names
    }
    if len(names) > 1:
        series["all"] = [run.score for run in runs]
    labels = [f"#{run.id} {run.finished[:10]}" if run.finished else f"#{run.id}" for run in runs]
    return trend_svg(series, labels)
