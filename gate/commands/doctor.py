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
def doctor_command(max_children: int | None) -> None:
    """Check that a run can be trusted: the configuration is valid, the package under test imports from
    the repository (not an installed shadow), the clean suite is green, mutmut's forced-fail check passes;
    then estimate the number of mutants and the time a full run takes.
    """
    config = project_config()
    warn(config, quiet=False)
    sys.exit(int(print_diagnosis(config, max_children)))


def print_diagnosis(config: GateConfig, max_children: int | None) -> ExitCode:
    """Run the checks, print one line each (a failure's detail lines indented under it) and the estimate."""
    diagnosis = diagnose(config, max_children=max_children)
    for check in diagnosis.checks:
        first, *rest = check.detail.splitlines() or [""]
        click.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {first}")
        for line in rest:
            click.echo(f"      {line}")
    if diagnosis.ok:
        click.echo(
            f"estimate: {diagnosis.mutants} mutants in the targets ({diagnosis.pending} without a verdict), "
            f"about {diagnosis.estimate_s:.1f} s of testing for a full run with {diagnosis.workers} workers "
            "(plus timeouts)"
        )
        return ExitCode.PASSED
    return ExitCode.NOT_JUDGED
