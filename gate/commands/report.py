"""`gate report`: re-render the last results of a scope (the full run's by default) in any format; nothing runs.

The exit code is the verdict of those results, so CI can gate on a report it did not produce.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import emit, exit_with, format_options
from gate.policy import judge
from gate.results import RESULTS_FILE, SCOPES, load_results


@click.command("report")
@format_options
@click.option(
    "--input",
    "-i",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"A gate-report/1 JSON file to render (default: {RESULTS_FILE}).",
)
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="full",
    show_default=True,
    help="Whose last results: the full run (gate run, gate merge), gate check, or gate pr.",
)
@click.option(
    "--fail-under", type=click.FloatRange(0, 100), metavar="PCT", help="Judge against this floor instead."
)
@click.option("--quiet", "-q", is_flag=True, help="Write --output only; print nothing.")
def report_command(
    fmt: str,
    output: Path | None,
    as_json: bool,
    source: Path | None,
    scope: str,
    fail_under: float | None,
    quiet: bool,
) -> None:
    """Render the results of the last run again, in any format, without running anything.

    \b
    Examples:
      gate report                      terminal report of the last run
      gate report -f json -o gate.json
      gate report --scope pr           the last `gate pr` instead
    """
    result = load_results(Path.cwd(), source, scope)
    verdict = judge(result, fail_under)
    emit(result, verdict, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
    exit_with(verdict)
