"""`gate merge FILE... -o OUT`: joins the shard results of one plan into one complete result.

It refuses mismatched, missing or repeated shards (exit 3, one line); `gate report` judges the result.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate.results import write_results
from gate.weekly.history import record_run
from gate.weekly.merge import load_shard, merge


@click.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the merged gate-report/1 result (atomically).",
)
@click.option(
    "--no-history", is_flag=True, help="Do not record the merged run in .gate/history.db (nor compare)."
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def merge_command(files: tuple[Path, ...], output: Path, no_history: bool, quiet: bool) -> None:
    """Merge the results of `gate run --shard K/N -f json -o FILE` (one FILE per shard) into one result.

    The shards must come from the same commit, configuration and plan, all N of them, each once, with
    no mutant twice. The merged run is recorded in .gate/history.db (compared with the previous run)
    and becomes the last results (.gate/results.json), so `gate report -f html` renders it and
    `gate report` judges it.

    \b
    Example:
      gate merge shard-1.json shard-2.json shard-3.json -o gate-report.json
    """
    result = merge([(str(path), load_shard(path)) for path in files])
    root = Path.cwd()
    history_error = None if no_history else record_run(root, result)
    write_results(root, result, output)
    write_results(root, result)
    if not quiet:
        counts = result.counts()
        score = "n/a" if counts.score is None else f"{counts.score:.1f}%"
        click.echo(
            f"gate: merged {len(files)} shards: {counts.total} mutants, score {score}, "
            f"{result.retested} re-tested, {result.reused} re-used -> {output}",
            err=True,
        )
    if history_error is not None:
        raise history_error
