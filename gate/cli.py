"""The `gate` command line: thin click shells over the library functions.

Nothing here runs mutmut or formats results itself; it parses options, calls
into the pipeline and maps the outcome to an exit code.
"""

from __future__ import annotations

import click

from gate import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="gate")
def cli() -> None:
    """Mutation-testing quality gate: runs mutmut over the configured targets and
    reports every surviving mutant with the reason it survived (hidden by mocks,
    untested, or reached by tests whose assertions are too weak)."""


def main() -> None:
    cli()
