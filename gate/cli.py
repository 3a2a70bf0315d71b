"""The `gate` command line: thin click shells over the library functions.

Nothing here runs mutmut or formats results itself; each command in
gate/commands/ parses options, calls into the pipeline and returns an exit code.
"""

from __future__ import annotations

import sys

import click

from gate import __version__
from gate.exit_code import GateError


class GateGroup(click.Group):
    """Turns every GateError into one line on stderr and its exit code: never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GateError as error:
            click.echo(f"gate: error: {error}", err=True)
            sys.exit(int(error.exit_code))
        except KeyboardInterrupt as interrupt:
            click.echo("gate: interrupted; verdicts reached so far are kept", err=True)
            sys.exit(getattr(interrupt, "exit_code", 130))


@click.group(cls=GateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="gate")
def cli() -> None:
    """Mutation-testing quality gate: runs mutmut over the configured targets and
    reports every surviving mutant with the reason it survived (hidden by mocks,
    untested, or reached by tests whose assertions are too weak).

    \b
    Exit codes:
      0  the gate passed
      1  the gate failed (score under a floor, or survivors the policy forbids)
      2  usage or configuration error
      3  the run could not be judged (clean suite failing, mutmut failing, shard missing)
    """


# Each command lives in gate/commands/<name>.py and is registered here.
# (Registration list: keep one line per command.)
from gate.commands.accept import accept_command  # noqa: E402
from gate.commands.check import check_command  # noqa: E402
from gate.commands.doctor import doctor_command  # noqa: E402
from gate.commands.history import history_command  # noqa: E402
from gate.commands.merge import merge_command  # noqa: E402
from gate.commands.pr import pr_command  # noqa: E402
from gate.commands.report import report_command  # noqa: E402
from gate.commands.run import run_command  # noqa: E402

cli.add_command(run_command)
cli.add_command(check_command)
cli.add_command(report_command)
cli.add_command(merge_command)
cli.add_command(accept_command)
cli.add_command(history_command)
cli.add_command(doctor_command)
cli.add_command(pr_command)


def main() -> None:
    cli(prog_name="gate")
