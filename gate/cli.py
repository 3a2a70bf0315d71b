"""The `gate` command line: thin click shells over the library functions.

Nothing here runs mutmut or formats results itself; each command in
gate/commands/ parses options, calls into the pipeline and returns an exit code.
"""

from __future__ import annotations

import errno
import importlib
import signal
import sys

import click

from gate.exit_code import TERMINATED, ExitCode, GateError, Interrupted

_CANNOT_WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


# Each command lives in gate/commands/<name>.py, imported only when it runs (or when --help lists it):
# `gate check` should not pay for the PR path's or the HTML report's imports.
COMMANDS = {
    "run": "gate.commands.run:run_command",
    "check": "gate.commands.check:check_command",
    "report": "gate.commands.report:report_command",
    "merge": "gate.commands.merge:merge_command",
    "accept": "gate.commands.accept:accept_command",
    "history": "gate.commands.history:history_command",
    "doctor": "gate.commands.doctor:doctor_command",
    "pr": "gate.commands.pr:pr_command",
    "init": "gate.commands.init:init_command",
    "show": "gate.commands.show:show_command",
}


class GateGroup(click.Group):
    """Turns every GateError into one line on stderr and its exit code: never a traceback. Commands are
    loaded by name from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GateError as error:
            click.echo(f"gate: error: {error}", err=True)
            sys.exit(int(error.exit_code))
        except OSError as error:
            # State the gate could not write (a read-only tree, a full disk): one line, not a traceback.
            if error.errno not in _CANNOT_WRITE:
                raise
            where = f" {error.filename}" if error.filename else ""
            click.echo(f"gate: error: cannot write{where}: {error.strerror or error}", err=True)
            sys.exit(int(ExitCode.USAGE))
        except KeyboardInterrupt as stop:
            click.echo("gate: interrupted; verdicts reached so far are kept", err=True)
            # The shell's convention: 128 + the signal's number (SIGTERM 15, SIGINT 2).
            sys.exit(stop.exit_code if isinstance(stop, Interrupted) else 130)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version, with the installed version read only when asked for (click's own option reads it at
    import, for every command)."""
    if not value or ctx.resilient_parsing:
        return
    import gate

    click.echo(f"gate, version {gate.__version__}")
    ctx.exit()


@click.group(cls=GateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    "-V",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
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


def _terminate(_signum: int, _frame: object) -> None:
    raise Interrupted(TERMINATED)


def main() -> None:
    # SIGTERM outside mutmut's run (census, reports) stops the gate the same way, with exit 143.
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="gate")
