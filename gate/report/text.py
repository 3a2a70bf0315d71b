"""The terminal renderer. By default a digest that fits about two screens at any size: the summary per
target and per cause first, then the functions with the most survivors. With `details` the full evidence:
survivors grouped by cause, file and function with coloured diffs. `show` renders chosen mutants' evidence.
Colour only when asked (a terminal); plain text otherwise.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.text import Text

from gate.causes.labels import SECTION_ORDER, SECTIONS, tally, words
from gate.model import (
    CAUSES_NOT_COMPUTED,
    PARTIAL,
    UNDETECTED,
    Counts,
    Mutant,
    Replacement,
    RunResult,
    Status,
    Verdict,
    Witness,
)
from gate.report import witness as witness_words

MAX_TESTS_SHOWN = 3
# The digest's lists stop here, so that a run of thousands of survivors still fits about two screens.
MAX_FUNCTIONS = 40
MAX_LISTED = 10


def render(
    result: RunResult,
    *,
    verdict: Verdict | None,
    color: bool = False,
    width: int = 100,
    details: bool = True,
    show: list[str] | None = None,
    **_options: Any,
) -> str:
    """The report; `verdict` is the policy's, None only for a shard (not judged alone). `details=False`
    gives the digest; `show` (mutant ids) gives only those mutants' full evidence."""
    console = _console(color, width)
    if show is not None:
        _evidence(console, [m for m in result.mutants if m.id in set(show)], result.mutants)
    elif details:
        _full(console, result, verdict)
    else:
        _digest(console, result, verdict)
    buffer = console.file
    assert isinstance(buffer, io.StringIO)
    return buffer.getvalue()


def _console(color: bool, width: int) -> Console:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        color_system="standard" if color else None,
        width=width,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )
    return console


def _notices(console: Console, result: RunResult) -> None:
    """What the reader must know before any figure: the run was cut short, or its causes are missing."""
    if result.partial:
        console.print(Text(f"gate: {PARTIAL}", style="bold yellow"))
    if not result.causes_computed:
        console.print(Text(f"gate: {CAUSES_NOT_COMPUTED}", style="bold yellow"))


def _full(console: Console, result: RunResult, verdict: Verdict | None) -> None:
    _notices(console, result)
    _header(console, result)
    _survivors(console, result)
    _others(console, result)
    _blind_spots(console, result)
    _comparison(console, result)
    _stale_accepted(console, result)
    if result.shard is not None:
        _shard_summary(console, result)
    elif verdict is not None:
        _summary(console, result, verdict)


def _digest(console: Console, result: RunResult, verdict: Verdict | None) -> None:
    """Summary first, then the functions with the most survivors, each list capped."""
    _notices(console, result)
    _header(console, result)
    if result.shard is not None:
        _shard_summary(console, result)
    elif verdict is not None:
        console.print()
        _target_lines(console, result, verdict)
    _top_functions(console, result)
    _others(console, result, limit=MAX_LISTED)
    _blind_spots(console, result, limit=MAX_LISTED)
    _comparison(console, result)
    _stale_accepted(console, result)
    if result.shard is None and verdict is not None:
        console.print()
        _verdict_lines(console, verdict)


def _top_functions(console: Console, result: RunResult) -> None:
    """One line per function with survivors, most first: survivors, where, tests running it, causes."""
    survivors = [m for m in result.mutants if m.status in UNDETECTED]
    if not survivors:
        return
    by_function: dict[tuple[str, str], list[Mutant]] = defaultdict(list)
    for mutant in survivors:
        by_function[(mutant.file, mutant.qualname)].append(mutant)
    tallies = {(t.file, t.qualname): t for t in tally(result.mutants)}
    first_line: dict[tuple[str, str], int] = {}
    for mutant in result.mutants:
        key = (mutant.file, mutant.qualname)
        if key in by_function:
            first_line[key] = min(first_line.get(key, mutant.line), mutant.line)
    ranked = sorted(by_function, key=lambda key: (-len(by_function[key]), key[0], first_line[key]))
    shown = ranked[:MAX_FUNCTIONS]
    console.print()
    title = f"Functions with the most survivors ({len(shown)} of {len(ranked)}, {len(survivors)} survivors)"
    console.print(Text(title, style="bold"))
    rows = []
    for key in shown:
        causes = Counter(m.cause for m in by_function[key])
        found = tallies.get(key)
        rows.append(
            (
                str(len(by_function[key])),
                key[1],
                f"{key[0]}:{first_line[key]}",
                str(found.run_by if found else 0),
                ", ".join(f"{c or 'no cause'} {causes[c]}" for c in [*SECTION_ORDER, None] if causes[c]),
            )
        )
    header = ("survivors", "function", "where", "tests", "causes")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(4)]
    console.print(Text(_row(header, widths), style="dim"))
    for row in rows:
        console.print(_row(row, widths))
    more = len(ranked) - len(shown)
    hint = "`gate show FUNCTION` or `gate show ID` for one, `--details` for all the evidence"
    console.print(Text(f"  {f'+{more} more functions; ' if more else ''}{hint}", style="dim"))


def _row(row: tuple[str, ...], widths: list[int]) -> str:
    count, function, where, tests, causes = row
    return (
        f"  {count.rjust(widths[0])}  {function.ljust(widths[1])}  {where.ljust(widths[2])}  "
        f"{tests.rjust(widths[3])}  {causes}"
    ).rstrip()


def _evidence(console: Console, chosen: list[Mutant], everything: list[Mutant]) -> None:
    """The full evidence of the chosen mutants, under the tally line of their function."""
    tallies = {(t.file, t.qualname): t for t in tally(everything)}
    by_function: dict[tuple[str, str], list[Mutant]] = defaultdict(list)
    for mutant in chosen:
        by_function[(mutant.file, mutant.qualname)].append(mutant)
    for key in sorted(by_function):
        found = tallies.get(key)
        console.print(Text(f"{key[0]}  {found.line() if found else key[1]}", style="bold"))
        for mutant in sorted(by_function[key], key=lambda m: (m.line, m.id)):
            _mutant(console, mutant)


def _header(console: Console, result: RunResult) -> None:
    targets = sorted({m.target for m in result.mutants if m.target})
    what = f"{len(result.mutants)} mutants"
    if targets:
        what += f" in {len(targets)} target{'s' if len(targets) != 1 else ''} ({', '.join(targets)})"
    console.print(
        Text.assemble(
            ("gate ", "bold"),
            f"{result.selection}: {what}, {result.duration_s:.1f} s",
            (f" ({result.retested} re-tested, {result.reused} re-used)", "dim"),
        )
    )


def _survivors(console: Console, result: RunResult) -> None:
    survivors = [m for m in result.mutants if m.status in UNDETECTED]
    if not survivors:
        return
    causes = Counter(m.cause for m in survivors)
    breakdown = ", ".join(f"{causes[c]} {c}" for c in SECTION_ORDER if causes[c])
    console.print()
    console.print(
        Text(f"Surviving mutants ({len(survivors)})" + (f": {breakdown}" if breakdown else ""), style="bold")
    )
    tallies = {(t.file, t.qualname): t for t in tally(result.mutants)}
    for section_causes, title in SECTIONS:
        section = [m for m in survivors if m.cause in section_causes]
        if not section:
            continue
        console.print()
        console.print(Text(f"{title} ({len(section)})", style="bold"))
        by_file: dict[str, dict[str, list[Mutant]]] = defaultdict(lambda: defaultdict(list))
        for mutant in section:
            by_file[mutant.file][mutant.qualname].append(mutant)
        for file in sorted(by_file):
            console.print(Text(f"  {file}", style="bold underline"))
            functions = by_file[file]
            for function in sorted(functions, key=lambda f: min(m.line for m in functions[f])):
                found = tallies.get((file, function))
                console.print(Text(f"    {found.line() if found else function}", style="bold"))
                for mutant in sorted(functions[function], key=lambda m: (m.line, m.id)):
                    _mutant(console, mutant)


def _mutant(console: Console, mutant: Mutant) -> None:
    label = str(mutant.status)
    if mutant.cause is not None:
        label += f", {mutant.cause}"
    if mutant.flaky:
        label += ", flaky"
    style = "yellow" if mutant.status is Status.SURVIVED else "magenta"
    console.print(
        Text.assemble(
            f"      {mutant.file}:{mutant.line}  ",
            (label, style),
            ("  id ", "dim"),
            (mutant.id, "dim"),
        )
    )
    for line in _changed_lines(mutant.diff):
        console.print(Text("        " + line, style="red" if line.startswith("-") else "green"))
    if mutant.tests:
        console.print(Text(f"        run by: {_first(mutant.tests)}", style="dim"))
    elif mutant.status is Status.NO_TESTS:
        console.print(Text("        no test runs this function", style="dim"))
    if mutant.replaced_in:
        console.print(Text(f"        replaced in: {_first(mutant.replaced_in)}", style="dim"))
    if mutant.mocks:
        console.print(Text(f"        {words(mutant.cause).evidence}: {_sites(mutant.mocks)}", style="dim"))
    if mutant.hint:
        console.print(Text(f"        hint: {mutant.hint}", style="cyan"))
    if mutant.witness is not None:
        _witness(console, mutant, mutant.witness)


def _witness(console: Console, mutant: Mutant, witness: Witness) -> None:
    console.print(Text(f"        witness: {witness_words.sentence(mutant, witness)}", style="cyan"))
    title = witness_words.suggestion_title(witness)
    if title:
        console.print(Text(f"        {title}", style="cyan"))
        for line in witness.suggestion.splitlines():
            console.print(Text(f"          {line}", style="green"))


def _first(tests: list[str]) -> str:
    more = len(tests) - MAX_TESTS_SHOWN
    return ", ".join(tests[:MAX_TESTS_SHOWN]) + (f" (+{more} more)" if more > 0 else "")


def _sites(mocks: list[Replacement]) -> str:
    """Each replacement site once: `file:line kind target` and how many tests it applies to."""
    tests: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for mock in mocks:
        tests[(mock.site, mock.kind, mock.target)].add(mock.test)
    shown = [
        f"{site} {kind} {target}" + (f" ({len(names)} tests)" if len(names) > 1 else "")
        for (site, kind, target), names in list(tests.items())[:MAX_TESTS_SHOWN]
    ]
    more = len(tests) - MAX_TESTS_SHOWN
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _changed_lines(diff: str) -> list[str]:
    """The removed and added lines of a function-relative diff, dedented together."""
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    bodies = [line[1:] for line in lines if line[1:].strip()]
    indent = min((len(b) - len(b.lstrip()) for b in bodies), default=0)
    return [line[0] + " " + line[1 + indent :] for line in lines]


def _others(console: Console, result: RunResult, limit: int = 20) -> None:
    for status, title in (
        (Status.SUSPICIOUS, "Suspicious (the tests behaved oddly; re-check)"),
        (Status.NOT_CHECKED, "Not checked (run interrupted; the next run resumes them)"),
    ):
        mutants = [m for m in result.mutants if m.status is status]
        if mutants:
            console.print()
            console.print(Text(f"{title}: {len(mutants)}", style="bold"))
            for mutant in sorted(mutants, key=lambda m: (m.file, m.line))[:limit]:
                console.print(f"    {mutant.file}:{mutant.line}  {mutant.function}  id {mutant.id}")
            _more(console, len(mutants) - limit)


def _blind_spots(console: Console, result: RunResult, limit: int | None = None) -> None:
    if not result.blind_spots:
        return
    console.print()
    console.print(Text(f"Blind spots: code that gets no mutants ({len(result.blind_spots)})", style="bold"))
    spots = sorted(result.blind_spots, key=lambda b: (b.file, b.line))
    for spot in spots[:limit]:
        console.print(Text.assemble(f"    {spot.file}:{spot.line}  {spot.function}  ", (spot.reason, "dim")))
    _more(console, len(spots) - len(spots[:limit]))


def _more(console: Console, count: int) -> None:
    if count > 0:
        console.print(Text(f"    +{count} more (--details)", style="dim"))


def _counts_line(counts: Counts) -> str:
    score = "n/a" if counts.score is None else f"{counts.score:.1f}%"
    covered = "n/a" if counts.covered_score is None else f"{counts.covered_score:.1f}%"
    parts = [
        f"score {score}",
        f"covered {covered}",
        f"killed {counts.killed}",
        f"survived {counts.survived}",
        f"no-tests {counts.no_tests}",
        f"timeout {counts.timeout}",
    ]
    for name, value in (
        ("suspicious", counts.suspicious),
        ("skipped (noise)", counts.noise),
        ("skipped", counts.skipped - counts.noise),
        ("accepted", counts.accepted),
        ("type-error", counts.type_error),
        ("not-checked", counts.not_checked),
    ):
        if value:
            parts.append(f"{name} {value}")
    parts.append(f"total {counts.total}")
    return "  ".join(parts)


def _causes_line(counts: Counts) -> str:
    order = [str(c) for c in SECTION_ORDER]
    names = sorted(counts.by_cause, key=lambda c: order.index(c) if c in order else len(order))
    return ", ".join(f"{name} {counts.by_cause[name]}" for name in names)


def _comparison(console: Console, result: RunResult) -> None:
    """What changed since the previous recorded run (gate.history fills result.comparison)."""
    comparison = result.comparison or {}
    previous = comparison.get("previous")
    if not previous:
        return
    console.print()
    when = f", {previous['finished'][:10]}" if previous.get("finished") else ""
    commit = (previous.get("commit") or "unknown")[:10]
    console.print(Text(f"Since run #{previous['run']} (commit {commit}{when})", style="bold"))
    for name, target in comparison.get("targets", {}).items():
        new, fixed = target.get("new_survivors", 0), target.get("fixed_survivors", 0)
        console.print(
            Text.assemble(
                f"    {name}: {_pct(target.get('previous_score'))} -> {_pct(target.get('score'))} ",
                _delta_text(target.get("delta")),
                f"  {new} new survivor{'s' if new != 1 else ''}, {fixed} fixed",
            )
        )
    new_ids = comparison.get("new_survivors") or []
    if new_ids:
        shown = ", ".join(new_ids[:10]) + (f" (+{len(new_ids) - 10} more)" if len(new_ids) > 10 else "")
        console.print(Text(f"    new survivors: {shown}", style="yellow"))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _delta_text(delta: float | None) -> tuple[str, str]:
    if delta is None:
        return ("", "")
    return (f"({delta:+.1f})", "green" if delta > 0 else "red" if delta < 0 else "dim")


def _stale_accepted(console: Console, result: RunResult) -> None:
    if result.stale_accepted:
        console.print()
        console.print(
            Text(
                f"Stale acceptances in gate-accepted.toml (no such mutant any more): "
                f"{', '.join(result.stale_accepted)}",
                style="yellow",
            )
        )


def _shard_summary(console: Console, result: RunResult) -> None:
    shard = result.shard or {}
    console.print()
    console.print(_counts_line(result.counts()))
    console.print(
        Text(
            f"gate: shard {shard.get('index')}/{shard.get('count')} done ({len(result.mutants)} of "
            f"{shard.get('total', '?')} mutants); not judged alone: `gate merge` the shards",
            style="bold",
        )
    )


def _summary(console: Console, result: RunResult, verdict: Verdict) -> None:
    console.print()
    _target_lines(console, result, verdict)
    _verdict_lines(console, verdict)


def _target_lines(console: Console, result: RunResult, verdict: Verdict) -> None:
    """One line per target and one overall, each with its causes."""
    width = max([len(name) for name in verdict.targets] + [7])
    for name, counts in verdict.targets.items():
        floor = result.target_floors.get(name)
        line = f"{(name or '-').ljust(width)}  {_counts_line(counts)}"
        if floor is not None:
            line += f"  floor {floor:g}%"
        console.print(line)
        if counts.by_cause:
            console.print(Text(f"{''.ljust(width)}  causes: {_causes_line(counts)}", style="dim"))
    overall = f"{'overall'.ljust(width)}  {_counts_line(verdict.overall)}"
    if verdict.fail_under is not None:
        overall += f"  floor {verdict.fail_under:g}%"
    console.print(Text(overall, style="bold"))
    if verdict.overall.by_cause:
        console.print(Text(f"{''.ljust(width)}  causes: {_causes_line(verdict.overall)}", style="dim"))


def _verdict_lines(console: Console, verdict: Verdict) -> None:
    if verdict.passed:
        console.print(Text("gate: passed", style="bold green"))
    else:
        for failure in verdict.failures:
            console.print(Text(f"gate: FAILED: {failure}", style="bold red"))
