"""`gate init`: set the gate up on a project, showing exactly what it writes, then check it with doctor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gate.commands.common import warn
from gate.commands.doctor import print_diagnosis
from gate.config import load_config
from gate.init import apply, detect, plan, propose_targets


@click.command("init")
@click.option("--yes", "-y", is_flag=True, help="Write without asking (for scripts).")
@click.option(
    "--per",
    type=click.Choice(["package", "module"]),
    default="package",
    show_default=True,
    help="One target per package, or one per module.",
)
@click.option("--overwrite", is_flag=True, help="Replace [tool.gate] values already set to something else.")
@click.option("--no-doctor", is_flag=True, help="Do not run `gate doctor` after writing.")
def init_command(yes: bool, per: str, overwrite: bool, no_doctor: bool) -> None:
    """Find the source packages (src/ layout, flat, several, namespace), the tests and pytest's
    configuration; show the [tool.gate] table it would add to pyproject.toml as a diff; write it on
    confirmation, keeping the file's comments and formatting; then run `gate doctor`.

    A key already set to another value is never replaced silently: init stops naming the file and the
    key (exit 2) unless --overwrite.
    """
    root = Path.cwd()
    layout = detect(root)
    click.echo(f"source: {', '.join(layout.packages)} (mutated: {', '.join(layout.source_paths)})")
    click.echo(f"tests: {', '.join(layout.tests) or 'none found'}")
    click.echo(f"pytest configured in: {layout.pytest.origin or 'no file (pytest defaults)'}")
    edit = plan(root, layout, propose_targets(root, layout, per), overwrite=overwrite)
    for kept in edit.kept:
        click.echo(f"kept: {kept}")
    if not edit.changes:
        click.echo("pyproject.toml already holds this configuration: nothing to write")
    else:
        click.echo(edit.diff(), nl=False)
        if not yes and not click.confirm(f"Write {edit.path.name}?", default=False):
            click.echo("nothing written")
            return
        apply(edit)
        click.echo(f"wrote {edit.path.name}")
    config = load_config(root)
    if no_doctor:
        return
    warn(config, quiet=False)
    click.echo("$ gate doctor")
    sys.exit(int(print_diagnosis(config, None)))
