"""`gate accept ID --reason TEXT`: records an equivalent mutant in gate-accepted.toml.

The file is committed and reviewed like code; the last results are updated so `gate report` shows it.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate import accept
from gate.exit_code import ConfigError
from gate.model import DETECTED
from gate.results import load_results, write_results


@click.command("accept")
@click.argument("mutant_id", metavar="ID")
@click.option("--reason", required=True, help="Why no test can detect this change (kept in the file).")
@click.option(
    "--input",
    "-i",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The results that name the mutant (default: .gate/results.json).",
)
def accept_command(mutant_id: str, reason: str, source: Path | None) -> None:
    """Accept mutant ID (its stable id from any report) as equivalent: it then counts as `accepted`,
    leaves the score's denominator, and stays visible in reports with the reason.

    \b
    Example:
      gate accept 3f9a1c0b2e --reason "retries beyond 3 are never reached: the server gives up first"
    """
    root = Path.cwd()
    result = load_results(root, source)
    mutant = accept.find(result, mutant_id)
    if mutant.status in DETECTED:
        raise ConfigError(
            f"mutant {mutant_id} is {mutant.status}: the tests detect it, so it is not equivalent"
        )
    entry = accept.accept(mutant, reason, root / accept.ACCEPTED_PATH)
    if source is None:
        accept.apply(result, {entry.id: entry}, covers=lambda _entry: False)
        result.stale_accepted = [i for i in result.stale_accepted if i != entry.id]
        write_results(root, result)
    click.echo(
        f"gate: accepted {entry.id} ({mutant.file}:{mutant.line} {mutant.function}) in {accept.ACCEPTED_PATH}",
        err=True,
    )
