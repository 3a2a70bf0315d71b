"""Renders results as GitHub markdown: the sticky PR comment, or a full run's summary per target.

Survivors come grouped by file, at most one per line, and the text never exceeds GitHub's comment limit.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence

import jinja2

from gate.causes.labels import RANK, hint_for, label, plural
from gate.model import CAUSES_NOT_COMPUTED, PARTIAL, Cause, Counts, Mutant, RunResult, Status, Verdict
from gate.report import witness as witness_words

MARKER = "<!-- gate-mutation-report -->"
COMMENT_LIMIT = 65_536  # GitHub's maximum comment body, in characters
MAX_TESTS_SHOWN = 3
OPEN_FILES_UP_TO = 5  # survivors shown unfolded when there are this few


def code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, lang: str = "") -> str:
    """A fenced block longer than any backtick run inside `text`."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"


_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def esc(text: str) -> str:
    """Free text: no raw HTML, no accidental emphasis from names; code spans are kept as they are."""
    out, pos = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_plain(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return html.escape(text, quote=False).replace("*", "\\*").replace("_", "\\_")


def short_diff(diff: str) -> str:
    """The mutant's diff without file headers and function-relative hunk offsets, which mean nothing here."""
    lines = [
        line
        for line in diff.splitlines()
        if not line.startswith(("--- ", "+++ ", "@@")) and line not in ("---", "+++")
    ]
    return "\n".join(lines)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # markdown, not HTML: every value goes through `esc` or `code` explicitly
)
_ENV.filters.update(code=code, esc=esc, pct=pct, fenced=fenced, cause=label, h=html.escape)
_ENV.globals.update(plural=plural)

_MUTANT = _ENV.from_string(
    """\
**Line {{ m.line }}**{% if m.function %} · {{ m.function | code }}{% endif %} · {{ m.cause | cause }} · \
{{ m.id | code }}{% if m.status == "no-tests" %} · no test reaches it{% endif +%}

{{ diff | fenced("diff") }}

{% if tests %}
- Run by {{ tests | join(", ") }}{% if more_tests %} and {{ more_tests }} more{% endif +%}
{% endif %}
{% if m.replaced_in %}
- Replaced in {{ plural(m.replaced_in | length, "test") }}: {{ m.replaced_in[:3] | map("code") | join(", ") }}\
{% if m.replaced_in | length > 3 %} and {{ m.replaced_in | length - 3 }} more{% endif +%}
{% endif %}
- What to do: {{ hint | esc }}
{% if witness %}
- Witness: {{ witness | esc }}
{% endif %}
{% if suggestion %}
- {{ suggestion_title | capitalize }}

{{ suggestion | fenced("python") | indent(2, true) }}
{% endif %}
{% if others %}
- {{ plural(others, "more mutant") }} on this line also {{ "survives" if others == 1 else "survive" }}
{% endif %}

"""
)

_FILE_OPEN = _ENV.from_string(
    """\
<details{{ " open" if open else "" }}>
<summary><code>{{ path | h }}</code>: {{ plural(count, "survivor") }}{% if lines != count %} \
on {{ plural(lines, "line") }}{% endif %}</summary>

"""
)
_FILE_CLOSE = "</details>\n\n"

_PR_HEADER = _ENV.from_string(
    """\
{{ marker }}
### Mutation testing of the changed lines{% if verdict is not none %}: \
{{ "✅ passed" if verdict.passed else "❌ failed" }}{% endif +%}

{% if counts.total == 0 and has_lines %}
No mutants were possible on the {{ description | esc }}: no mutable code changed (comments, blank lines, \
constants, signatures).
{% elif counts.total == 0 %}
No mutants were possible on the changed lines: {{ description | esc }}.
{% elif not survivors %}
**All {{ plural(counts.scored, "mutant") }} on the changed lines {{ "was" if counts.scored == 1 else "were" }} \
killed** (score {{ counts.score | pct }}).
{% if description %}

<sub>{{ description | esc }}</sub>
{% endif %}
{% else %}
**Score on the changed lines: {{ counts.score | pct }}**: {{ counts.detected }} of \
{{ plural(counts.scored, "mutant") }} killed{% if counts.timeout %} or timed out{% endif %}, \
{{ plural(survivors | length, "survivor") }}\
{% if counts.covered_score is not none and counts.no_tests %} (covered code: {{ counts.covered_score | pct }})\
{% endif %}.
{% if description %}

<sub>{{ description | esc }}</sub>
{% endif %}

| cause | survivors |
| --- | ---: |
{% for label, n in causes %}
| {{ label }} | {{ n }} |
{% endfor %}
{% endif %}
{% include "tail" %}
"""
)

_FULL_HEADER = _ENV.from_string(
    """\
{{ marker }}
### Mutation testing: {{ counts.score | pct }}{% if floor is not none %} (floor {{ floor | pct }})\
{% endif %}{% if verdict is not none %}: {{ "✅ passed" if verdict.passed else "❌ failed" }}{% endif +%}

{% if counts.total == 0 %}
No mutants were possible in this run.
{% else %}
{{ plural(counts.total, "mutant") }}{% if commit %} at {{ commit[:12] | code }}{% endif %}: \
{{ counts.killed }} killed, {{ counts.survived }} survived, {{ counts.no_tests }} without tests, \
{{ counts.timeout }} timed out; covered code {{ counts.covered_score | pct }}.

| target | score | floor | killed | survived | no tests | timeout | total |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{% for name, c, f in targets %}
| {{ name | esc }} | {{ c.score | pct }} | {{ f | pct if f is not none else "-" }} | {{ c.killed }} | \
{{ c.survived }} | {{ c.no_tests }} | {{ c.timeout }} | {{ c.total }} |
{% endfor %}
{% if causes %}

| cause | survivors |
| --- | ---: |
{% for label, n in causes %}
| {{ label }} | {{ n }} |
{% endfor %}
{% endif %}
{% endif %}
{% include "tail" %}
"""
)

_TAIL = """\
{% if verdict is not none and verdict.failures %}

{% for reason in verdict.failures %}
- {{ reason | esc }}
{% endfor %}
{% endif %}
{% if extras %}

{{ extras | join(" · ") }}
{% endif %}
{% if report_url %}

[Full report]({{ report_url }})
{% endif %}
"""
_ENV.loader = jinja2.DictLoader({"tail": _TAIL})


def _cause_rows(survivors: Sequence[Mutant]) -> list[tuple[str, int]]:
    counts: dict[Cause | None, int] = defaultdict(int)
    for mutant in survivors:
        counts[mutant.cause] += 1
    return [(label(c), n) for c, n in sorted(counts.items(), key=lambda kv: RANK.get(kv[0], 99))]


def _extras(result: RunResult, counts: Counts) -> list[str]:
    extras = []
    flaky = [m for m in result.mutants if m.flaky]
    if counts.accepted:
        extras.append(f"{plural(counts.accepted, 'mutant')} accepted as equivalent (gate-accepted.toml)")
    if flaky:
        extras.append(
            f"{plural(len(flaky), 'flaky mutant')} (survived in the batch, killed when re-run alone)"
        )
    if counts.suspicious:
        extras.append(f"{counts.suspicious} suspicious")
    if counts.not_checked:
        extras.append(f"{counts.not_checked} not checked")
    if counts.noise:
        extras.append(f"{counts.noise} skipped (noise)")
    if counts.skipped - counts.noise:
        extras.append(f"{counts.skipped - counts.noise} skipped")
    return extras


def _line_groups(survivors: Sequence[Mutant]) -> dict[str, list[list[Mutant]]]:
    """Survivors by file, then by line: the first of each line is the one shown."""
    by_line: dict[tuple[str, int], list[Mutant]] = defaultdict(list)
    for mutant in survivors:
        by_line[(mutant.file, mutant.line)].append(mutant)
    files: dict[str, list[list[Mutant]]] = defaultdict(list)
    for (path, _line), group in sorted(by_line.items()):
        group.sort(key=lambda m: (RANK.get(m.cause, 99), m.status != Status.SURVIVED, m.name, m.id))
        files[path].append(group)
    return dict(files)


def _mutant_block(group: list[Mutant]) -> str:
    mutant = group[0]
    shown = mutant.tests[:MAX_TESTS_SHOWN]
    return _MUTANT.render(
        m=mutant,
        diff=short_diff(mutant.diff) or "(diff not available)",
        tests=[code(t) for t in shown],
        more_tests=len(mutant.tests) - len(shown),
        hint=hint_for(mutant),
        witness=witness_words.sentence(mutant, mutant.witness) if mutant.witness else "",
        suggestion_title=witness_words.suggestion_title(mutant.witness) if mutant.witness else "",
        suggestion=mutant.witness.suggestion if mutant.witness and mutant.witness.verified else "",
        others=len(group) - 1,
    )


def _fold_note(hidden: int, report_url: str | None) -> str:
    where = f"[full report]({report_url})" if report_url else "full report"
    return f"**{plural(hidden, 'more survivor')} in the {where}.**\n"


def render_markdown(
    result: RunResult,
    *,
    report_url: str | None = None,
    verdict: Verdict | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The PR comment for a changed-lines run, else a full run's summary per target; never over `limit`."""
    counts = result.counts()
    survivors = [m for m in result.survivors() if not m.flaky]
    context = {
        "marker": MARKER,
        "counts": counts,
        "survivors": survivors,
        "causes": _cause_rows(survivors),
        "verdict": verdict,
        "report_url": report_url,
        "extras": _extras(result, counts),
    }
    if result.selection == "changed-lines":
        scope = result.scope or {}
        header = _PR_HEADER.render(
            description=scope.get("description", ""), has_lines=bool(scope.get("files")), **context
        )
        section_title = "#### Survivors on the changed lines\n\n"
    else:
        targets = [
            (name, Counts.of(mutants), result.target_floors.get(name))
            for name, mutants in sorted(result.by_target().items())
        ]
        header = _FULL_HEADER.render(
            targets=targets, floor=result.fail_under, commit=result.commit or "", **context
        )
        section_title = "#### Survivors by file\n\n"
    notes = [
        note
        for note, shown in ((CAUSES_NOT_COMPUTED, not result.causes_computed), (PARTIAL, result.partial))
        if shown
    ]
    for note in notes:
        title_end = header.index("\n", header.index("###"))
        header = f"{header[:title_end]}\n\n> **{note[:1].upper()}{note[1:]}.**{header[title_end:]}"
    header = header.rstrip("\n") + "\n\n"
    files = _line_groups(survivors)
    if not files:
        return _fit(header.rstrip("\n") + "\n", limit, report_url)

    open_files = len(survivors) <= OPEN_FILES_UP_TO
    reserve = len(_fold_note(len(survivors), report_url)) + len(_FILE_CLOSE)
    parts = [header, section_title]
    used = len(header) + len(section_title)
    hidden = 0
    for path, groups in files.items():
        count = sum(len(g) for g in groups)
        if hidden:
            hidden += count
            continue
        opening = _FILE_OPEN.render(path=path, count=count, lines=len(groups), open=open_files)
        blocks: list[str] = []
        block_chars = 0
        for index, group in enumerate(groups):
            block = _mutant_block(group)
            if used + len(opening) + block_chars + len(block) + reserve > limit:
                hidden = sum(len(g) for g in groups[index:])
                break
            blocks.append(block)
            block_chars += len(block)
        if blocks:
            parts.extend([opening, *blocks, _FILE_CLOSE])
            used += len(opening) + block_chars + len(_FILE_CLOSE)
    if hidden:
        parts.append(_fold_note(hidden, report_url))
    return _fit("".join(parts).rstrip("\n") + "\n", limit, report_url)


def render(
    result: RunResult,
    *,
    verdict: Verdict | None,
    report_url: str | None = None,
    limit: int = COMMENT_LIMIT,
    **_options: object,
) -> str:
    """The `markdown` format of `gate report` / `gate pr -f markdown`; `verdict` None shows none (a shard)."""
    return render_markdown(result, report_url=report_url, verdict=verdict, limit=limit)


def _fit(text: str, limit: int, report_url: str | None) -> str:
    """Last resort for a header alone over the limit (thousands of targets): cut it at a line."""
    if len(text) <= limit:
        return text
    where = f"[full report]({report_url})" if report_url else "full report"
    note = f"\n\n**Truncated: see the {where}.**\n"
    cut = text.rfind("\n", 0, limit - len(note))
    return text[: max(cut, 0)] + note


def survivors_on_lines(mutants: Sequence[Mutant]) -> list[Mutant]:
    """One survivor per (file, line), the one the comment shows: for annotations and summaries."""
    return [group[0] for groups in _line_groups(mutants).values() for group in groups]
