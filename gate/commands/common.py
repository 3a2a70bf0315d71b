"""Options and output handling shared by the commands that run and report (not a command itself).

Keeps `-f/-o/--json/--fail-under/--max-children/--no-progress/--quiet` identical across commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gate import pipeline, policy
from gate.atomic import write_text_atomic
from gate.config import GateConfig, load_config
from gate.exit_code import ExitCode, GateError, Interrupted
from gate.model import RunResult, Verdict
from gate.mutmut.selection import Selection
from gate.progress import ProgressReporter
from gate.report import FORMATS

F = Callable[..., Any]


def format_options_for(default: str) -> Callable[[F], F]:
    """``-f/-o/--json`` with ``default`` as the format (the PR comment's is markdown)."""

    def decorate(func: F) -> F:
        func = click.option(
            "--details",
            is_flag=True,
            expose_value=False,
            callback=_remember_details,
            help="Text format: every survivor's full evidence, not the digest (summary and top functions).",
        )(func)
        func = click.option(
            "--json", "as_json", is_flag=True, help="Same as -f json, to stdout (or to --output)."
        )(func)
        func = click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to this file (atomically) instead of stdout.",
        )(func)
        func = click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(list(FORMATS)),
            default=default,
            show_default=True,
            help="Report format.",
        )(func)
        return func

    return decorate


format_options = format_options_for("text")

DETAILS = "gate.details"


def _remember_details(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--details only changes how `emit` renders text, so it reaches `emit` without every command's
    signature carrying it."""
    ctx.meta[DETAILS] = value


def run_options(func: F) -> F:
    func = witness_option(func)
    func = click.option(
        "--no-causes",
        is_flag=True,
        help="Skip the mock census: verdicts and scores only, no cause per survivor; reports say so at the top.",
    )(func)
    func = click.option(
        "--quiet", "-q", is_flag=True, help="No progress, no report on stdout; the exit code says it."
    )(func)
    func = click.option(
        "--no-progress",
        is_flag=True,
        help="No progress bar (CI logs get a plain line every few seconds otherwise).",
    )(func)
    func = click.option(
        "--max-children",
        type=click.IntRange(min=1),
        help="Parallel mutmut workers (default: [tool.gate] max_children, else the CPU count + 1).",
    )(func)
    func = click.option(
        "--fail-under",
        type=click.FloatRange(0, 100),
        metavar="PCT",
        help="Overall score floor in percent (overrides [tool.gate] fail_under).",
    )(func)
    return func


def witness_option(func: F) -> F:
    return click.option(
        "--witness-budget",
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help="Time for the witnesses of weak survivors: the value that differs and a verified assertion "
        "(default: [tool.gate] witness_budget; 0 turns them off; gate run needs [tool.gate] witnesses = true).",
    )(func)


def witness_budget(config: GateConfig, given: float | None, *, full_run: bool = False) -> float:
    """The seconds the witness stage gets: on for check and pr, opt-in for the full run."""
    if full_run and not config.value("witnesses"):
        return 0.0
    return float(given if given is not None else config.value("witness_budget"))


def project_config() -> GateConfig:
    """The configuration of the project in the current directory."""
    return load_config(Path.cwd())


def warn(config: GateConfig, quiet: bool) -> None:
    """The configuration's warnings, each once."""
    warn_run(config, list(config.warnings), quiet)


def warn_run(config: GateConfig, warnings: list[str], quiet: bool) -> None:
    """Warnings the run itself raised; one already shown (the configuration's) is not repeated."""
    if quiet:
        return
    # Shared by every step of this invocation: each warning is said once per run.
    shown: set[str] = click.get_current_context().meta.setdefault("gate.warnings_shown", set())
    for warning in warnings:
        if warning not in shown:
            shown.add(warning)
            click.echo(f"gate: warning: {warning}", err=True)


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def emit(
    result: RunResult,
    verdict: Verdict | None,
    *,
    fmt: str,
    output: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Render the report in the chosen format to stdout or to --output."""
    if as_json:
        fmt = "json"
    options: dict[str, Any] = {}
    if fmt == "text":
        context = click.get_current_context(silent=True)
        options = {
            "color": output is None and use_color(),
            "details": bool(context and context.meta.get(DETAILS)),
        }
    text = pipeline.render(result, fmt, verdict=verdict, root=Path.cwd(), **options)
    if output is not None:
        write_text_atomic(output, text)
        if not quiet:
            click.echo(f"gate: report written to {output}", err=True)
    elif not quiet:
        click.echo(text, nl=False)


def write_partial(interrupted: Interrupted, *, fmt: str, output: Path | None, as_json: bool) -> None:
    """An interrupted run's report, marked partial and not judged, to --output (stdout is left to the
    terminal the user just interrupted)."""
    result = interrupted.partial
    if output is None or not isinstance(result, RunResult):
        return
    text = pipeline.render(result, "json" if as_json else fmt, verdict=None, root=Path.cwd())
    write_text_atomic(output, text)
    click.echo(f"gate: partial report written to {output}", err=True)


def execute(
    config: GateConfig,
    chosen: Selection,
    *,
    fail_under: float | None,
    max_children: int | None,
    no_progress: bool,
    quiet: bool,
    no_causes: bool = False,
    partial_to: tuple[str, Path | None, bool] = ("text", None, False),
    witness_budget: float = 0.0,
) -> pipeline.Execution:
    """Test the chosen mutants, showing progress unless --quiet or --no-progress; refused without a floor.
    Interrupted, the run's partial report goes where ``partial_to`` (format, --output, --json) says before
    the interrupt goes on."""
    policy.require_floor(fail_under if fail_under is not None else config.fail_under, config.target_floors)
    try:
        with ProgressReporter(enabled=not (quiet or no_progress)) as progress:
            return pipeline.execute(
                config,
                chosen,
                fail_under=fail_under,
                max_children=max_children,
                on_progress=progress.update,
                causes=not no_causes,
                witness_budget=witness_budget,
            )
    except Interrupted as interrupted:
        fmt, output, as_json = partial_to
        write_partial(interrupted, fmt=fmt, output=output, as_json=as_json)
        raise


def conclude(
    config: GateConfig,
    execution: pipeline.Execution,
    *,
    fmt: str,
    output: Path | None,
    as_json: bool,
    quiet: bool,
    pending: GateError | None = None,
) -> None:
    """Keep the result, show the run's warnings and the report, then exit as the verdict says.

    ``pending`` is an error that must not cost the user the report: it is raised after it.
    """
    pipeline.publish(config, execution.result)
    warn_run(config, execution.warnings, quiet)
    emit(execution.result, execution.verdict, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
    if pending is not None:
        raise pending
    exit_with(execution.verdict)


def exit_with(verdict: Verdict) -> None:
    if verdict.exit_code != ExitCode.PASSED:
        sys.exit(int(verdict.exit_code))
