"""`gate history`: past runs (date, commit, score per target, counts by cause) and a trend line per target.

Reads .gate/history.db only; `--json` gives the same for machines.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from gate.weekly.history import HISTORY_PATH, History, RunRecord, sparkline, trend


@click.command("history")
@click.option("--json", "as_json", is_flag=True, help="The runs and the trend as JSON.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True, help="Runs shown.")
def history_command(as_json: bool, limit: int) -> None:
    """Show the recorded runs, oldest first, and each target's score trend.

    \b
    Example:
      gate history -n 12
    """
    history = History(Path.cwd() / HISTORY_PATH)
    runs = history.runs(limit=limit)
    series = trend(runs)
    if as_json:
        data = {
            "runs": [run.to_json() for run in runs],
            "trend": {name: [{"run": i, "score": s} for i, s in points] for name, points in series.items()},
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if not runs:
        click.echo(f"No runs recorded yet in {HISTORY_PATH} (`gate run` and `gate merge` record them).")
        return
    click.echo(_table(runs))
    click.echo()
    width = max(len(name) for name in [*series, "all"])
    for name, points in [*series.items(), ("all", [(r.id, r.score) for r in runs])]:
        scores = [score for _, score in points]
        known = [s for s in scores if s is not None]
        ends = f"{known[0]:.1f}% -> {known[-1]:.1f}%" if known else "no score"
        click.echo(f"{name.ljust(width)}  {sparkline(scores)}  {ends}")


def _table(runs: list[RunRecord]) -> str:
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
