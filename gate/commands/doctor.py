"""`gate doctor`: the preflight checks, one line each, before trusting a run (or debugging one).

Exit 0 when every check passes, 3 when a run could not be judged as things stand.
"""

from __future__ import annotations

import sys

import click

from gate.commands.common import project_config, warn
from gate.config import GateConfig
from gate.doctor import diagnose
from gate.exit_code import ExitCode


@click.command("doctor")
@click.option("--max-children", type=click.IntRange(min=1), help="Workers assumed for the time estimate.")
@click.option(
    "--full",
    is_flag=True,
    help="Run mutmut's own preflight too: every mutant generated, the suite mapped, the forced-fail check "
    "(as long as the first phase of a run); the count and time are then exact, not sampled.",
)
def doctor_command(max_children: int | None, full: bool) -> None:
    """Check that a run can be trusted: the configuration is valid, the package under test imports from
    the repository (not an installed shadow), the clean suite is green, the mock census loads; then
    estimate the number of mutants (from a sample of the files) and the time a full run takes.
    """
    config = project_config()
    warn(config, quiet=False)
    sys.exit(int(print_diagnosis(config, max_children, full=full)))


def print_diagnosis(config: GateConfig, max_children: int | None, *, full: bool = False) -> ExitCode:
    """Run the checks, print one line each (a failure's detail lines indented under it) and the estimate."""
    diagnosis = diagnose(config, max_children=max_children, full=full)
    for check in diagnosis.checks:
        first, *rest = check.detail.splitlines() or [""]
        click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {first}")
        for line in rest:
            click.echo(f"      {line}")
    if not diagnosis.ok:
        return ExitCode.NOT_JUDGED
    if diagnosis.sampled is None:
        click.echo(
            f"estimate: {diagnosis.mutants} mutants in the targets ({diagnosis.pending} without a verdict), "
            f"about {diagnosis.estimate_s:.1f} s of testing for a full run with {diagnosis.workers} workers "
            "(plus timeouts)"
        )
        return ExitCode.PASSED
    counted, files = diagnosis.sampled
    how = (
        f"an estimate from parsing all {files} files"
        if counted == files
        else f"an estimate: parsed {counted} of {files} files, the rest by their lines"
    )
    click.echo(f"estimate: about {diagnosis.mutants} mutants in the targets ({how})")
    if diagnosis.timed:
        click.echo(
            f"estimate: about {diagnosis.estimate_s:.1f} s of testing for a full run with {diagnosis.workers} "
            "workers (plus timeouts), from mutmut's test mapping of the last run"
        )
    else:
        click.echo(
            "estimate: run time not known until mutmut has mapped the tests (`gate doctor --full` maps them "
            "and runs mutmut's forced-fail check; it generates every mutant)"
        )
    return ExitCode.PASSED
