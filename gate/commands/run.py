"""`gate run [TARGET...]`: the full run over the configured targets (all when none is named).

The weekly job: every stale mutant is re-tested, the rest re-used from mutmut's cache.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import conclude, emit, execute, format_options, project_config, run_options, warn
from gate.commands.common import witness_budget as budget
from gate.mutmut import selection
from gate.weekly.history import record_run
from gate.weekly.shard import Shard
from gate.weekly.shard import select as select_shard


@click.command("run")
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option(
    "--shard",
    "shard_spec",
    metavar="K/N",
    help="Run only shard K of N (1 <= K <= N), balanced by last run's durations; combine with `gate merge`.",
)
@format_options
@run_options
def run_command(
    targets: tuple[str, ...],
    shard_spec: str | None,
    fmt: str,
    output: Path | None,
    as_json: bool,
    fail_under: float | None,
    max_children: int | None,
    no_progress: bool,
    no_causes: bool,
    witness_budget: float | None,
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
      gate run --shard 2/4 -f json -o shard-2.json   one CI machine's quarter

    A shard is not judged and not recorded in the history: `gate merge` joins the shards into one
    result, records it, and `gate report` judges it. Every other full run is recorded in
    .gate/history.db and compared with the previous one.
    """
    shard = Shard.parse(shard_spec) if shard_spec is not None else None
    config = project_config()
    warn(config, quiet)
    chosen = selection.for_targets(config, targets)
    if not chosen.files:
        raise click.UsageError("the selected targets contain no source file yet")
    shard_plan = None
    if shard is not None:
        base = chosen
        chosen, shard_plan = select_shard(config, base, shard)
    execution = execute(
        config,
        chosen,
        fail_under=fail_under,
        max_children=max_children,
        no_progress=no_progress,
        quiet=quiet,
        no_causes=no_causes,
        partial_to=(fmt, output, as_json),
        witness_budget=budget(config, witness_budget, full_run=True),
    )
    result = execution.result
    if shard_plan is not None:
        # The shard's report goes to -o only: .gate/results.json stays the last complete result, from
        # which every shard of the next run is planned.
        result.shard = {**shard_plan.to_json(), "selection": base.kind}
        emit(result, None, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
        return
    history_error = record_run(config.root, result)
    conclude(config, execution, fmt=fmt, output=output, as_json=as_json, quiet=quiet, pending=history_error)
