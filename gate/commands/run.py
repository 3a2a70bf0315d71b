"""`gate run [TARGET...]`: the full run over the configured targets (all when none is named).

The weekly job: every stale mutant is re-tested, the rest re-used from mutmut's cache.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate import pipeline, selection
from gate.commands.common import emit, exit_with, format_options, project_config, run_options, warn
from gate.progress import ProgressReporter


@click.command("run")
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@format_options
@run_options
def run_command(
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
    as_json: bool,
    fail_under: float | None,
    max_children: int | None,
    no_progress: bool,
    quiet: bool,
) -> None:
    """Run mutmut over the configured targets (all when none is named), judge the scores against the
    floors and report every surviving mutant.

    Only mutants without a valid verdict are tested: new or changed functions, and survivors whose
    verdict is stale because the tests changed. Results go to .gate/results.json.

    \b
    Examples:
      gate run                      all targets, terminal report
      gate run download cache       two targets
      gate run -f json -o gate.json machine-readable report
    """
    config = project_config()
    warn(config, quiet)
    chosen = selection.for_targets(config, targets)
    if not chosen.files:
        raise click.UsageError("the selected targets contain no source file yet")
    with ProgressReporter(enabled=not (quiet or no_progress)) as progress:
        execution = pipeline.execute(
            config, chosen, fail_under=fail_under, max_children=max_children, on_progress=progress.update
        )
    pipeline.publish(config, execution.result)
    emit(execution.result, execution.verdict, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
    exit_with(execution.verdict)
