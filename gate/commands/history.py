"""`gate history`: past runs (date, commit, score per target, counts by cause) and a trend line per target.

Reads .gate/history.db only; `--json` gives the same for machines.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from gate.report.history import render_runs, trend
from gate.weekly.history import HISTORY_PATH, History


@click.command("history")
@click.option("--json", "as_json", is_flag=True, help="The runs and the trend as JSON.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True, help="Runs shown.")
def history_command(as_json: bool, limit: int) -> None:
    """Show the recorded runs, oldest first, and each target's score trend.

    \b
    Example:
      gate history -n 12
    """
    runs = History(Path.cwd() / HISTORY_PATH).runs(limit=limit)
    if as_json:
        series = trend(runs)
        data = {
            "runs": [run.to_json() for run in runs],
            "trend": {name: [{"run": i, "score": s} for i, s in points] for name, points in series.items()},
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif not runs:
        click.echo(f"No runs recorded yet in {HISTORY_PATH} (`gate run` and `gate merge` record them).")
    else:
        click.echo(render_runs(runs))
