"""`gate show FUNCTION|ID`: the full evidence of one function's survivors, or of one mutant, from the last
results; nothing runs."""

from __future__ import annotations

from pathlib import Path

import click

from gate import pipeline
from gate.commands.common import use_color
from gate.results import find_mutants, load_results


@click.command("show")
@click.argument("query", metavar="FUNCTION|ID")
def show_command(query: str) -> None:
    """Show the full evidence (diff, tests that run it, mocks, hint) of one mutant by its id, or of the
    survivors of one function by its name (`Class.method` or `pkg.module.function`), from the last run.

    \b
    Examples:
      gate show total
      gate show shop.price.total
      gate show 26fb545e4c
    """
    result = load_results(Path.cwd())
    chosen = find_mutants(result, query)
    text = pipeline.render(result, "text", verdict=None, color=use_color(), show=[m.id for m in chosen])
    click.echo(text, nl=False)
