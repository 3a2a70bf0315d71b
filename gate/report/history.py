"""Past runs as text for `gate history`: a table of runs, then each target's score trend as a sparkline.

Formatting only: it gets the recorded runs (gate.model.RunRecord), returns text, and reads no file.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.model import RunRecord

SPARK_BARS = "▁▂▃▄▅▆▇█"
MIN_SPAN = 5.0  # points of score: the smallest scale a sparkline is drawn on


def render_runs(runs: Sequence[RunRecord]) -> str:
    """The table of runs, a blank line, then one trend line per target and one for the whole."""
    series = trend(runs)
    width = max(len(name) for name in [*series, "all"])
    lines = [_table(runs), ""]
    for name, points in [*series.items(), ("all", [(r.id, r.score) for r in runs])]:
        scores = [score for _, score in points]
        known = [s for s in scores if s is not None]
        ends = f"{known[0]:.1f}% -> {known[-1]:.1f}%" if known else "no score"
        lines.append(f"{name.ljust(width)}  {sparkline(scores)}  {ends}")
    return "\n".join(lines)


def trend(runs: Sequence[RunRecord]) -> dict[str, list[tuple[int, float | None]]]:
    """Score per target over the runs, oldest first: {target: [(run id, score), ...]}."""
    series: dict[str, list[tuple[int, float | None]]] = {}
    for run in runs:
        for name, target in run.targets.items():
            series.setdefault(name, []).append((run.id, target.score))
    return dict(sorted(series.items()))


def sparkline(values: Sequence[float | None], low: float | None = None, high: float | None = None) -> str:
    """One block character per value; gaps (no score) as spaces.

    The scale runs from the lowest to the highest value, at least MIN_SPAN points wide, so a
    move from 88 to 91 is visible while noise of a tenth of a point stays flat.
    """
    known = [v for v in values if v is not None]
    if low is None:
        low = min(known, default=0.0)
    if high is None:
        high = max(max(known, default=0.0), low + MIN_SPAN)
    span = high - low
    bars = []
    for value in values:
        if value is None:
            bars.append(" ")
            continue
        ratio = 0.0 if span <= 0 else min(max((value - low) / span, 0.0), 1.0)
        bars.append(SPARK_BARS[round(ratio * (len(SPARK_BARS) - 1))])
    return "".join(bars)


def _table(runs: Sequence[RunRecord]) -> str:
    targets = sorted({name for run in runs for name in run.targets})
    header = ["run", "date", "commit", "time", "score", *targets, "survivors by cause"]
    rows = [header]
    for run in runs:
        causes: dict[str, int] = {}
        for target in run.targets.values():
            for key, n in target.counts.items():
                if "/" in key:
                    cause = key.split("/", 1)[1]
                    causes[cause] = causes.get(cause, 0) + n
        rows.append(
            [
                f"#{run.id}",
                run.finished[:16].replace("T", " "),
                (run.commit or "-")[:10],
                f"{run.duration_s:.0f}s",
                _pct(run.score),
                *[_pct(run.targets[t].score) if t in run.targets else "-" for t in targets],
                ", ".join(f"{c} {n}" for c, n in sorted(causes.items())) or "-",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"
