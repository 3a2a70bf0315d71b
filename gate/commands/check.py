"""`gate check MODULE[:FUNCTION]`: the local check of one module or one function in a few seconds.

Only what mutmut's cache says changed, plus what the test-hash rule makes stale, is re-tested.
"""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import (
    conclude,
    execute,
    format_options,
    project_config,
    run_options,
    warn,
)
from gate.commands.common import witness_budget as budget
from gate.mutmut import selection


@click.command("check")
@click.argument("module", metavar="MODULE[:FUNCTION]")
@format_options
@run_options
def check_command(
    module: str,
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
    """Check one module, or one function of it, and show its surviving mutants with coloured diffs.

    MODULE is a path (py/services/downloader.py) or a dotted name (py.services.downloader);
    add :FUNCTION for one function or method (py.services.downloader:Downloader.download_file).

    \b
    Examples:
      gate check py/utils/utils.py
      gate check py.utils.utils:fuzzy_match
    """
    config = project_config()
    warn(config, quiet)
    chosen = selection.for_module(config, module)
    execution = execute(
        config,
        chosen,
        fail_under=fail_under,
        max_children=max_children,
        no_progress=no_progress,
        quiet=quiet,
        no_causes=no_causes,
        partial_to=(fmt, output, as_json),
        witness_budget=budget(config, witness_budget),
    )
    conclude(config, execution, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
