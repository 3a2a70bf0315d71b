"""`gate pr --base REF`: mutants on the lines changed since REF, the PR comment, and optionally posting it.

Survivors are confirmed alone before they count; in GitHub Actions each one also becomes an annotation.
The work is gate.pr.review's; this shell parses the options and shows what it returns.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from gate.atomic import write_text_atomic
from gate.commands.common import (
    emit,
    exit_with,
    format_options_for,
    project_config,
    warn,
    warn_run,
    witness_option,
)
from gate.commands.common import witness_budget as budget
from gate.pr.annotation import in_github_actions
from gate.pr.review import COMMENT_FILE, destination, review, skipped_post
from gate.pr.review import post as post_comment
from gate.progress import ProgressReporter


@click.command("pr")
@click.option("--base", required=True, metavar="REF", help="The branch the PR goes into (e.g. origin/main).")
@click.option("--post", is_flag=True, help="Create or update the sticky comment on the pull request.")
@click.option("--repo", metavar="OWNER/NAME", help="Repository of the PR (default: GITHUB_REPOSITORY).")
@click.option("--pr", "number", type=int, metavar="N", help="PR number (default: from GITHUB_EVENT_PATH).")
@click.option("--api-url", metavar="URL", help="GitHub API (default: GITHUB_API_URL, else api.github.com).")
@click.option(
    "--report-url", metavar="URL", help="Link to the full report (default in Actions: the run page)."
)
@format_options_for("markdown")
@click.option(
    "--comment-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=COMMENT_FILE,
    show_default=True,
    help="Where the PR comment is always written (posted or not).",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Score floor on the changed lines (default: [tool.gate.pr] fail_under, else fail_under).",
)
@click.option(
    "--max-new-survivors",
    type=click.IntRange(min=0),
    metavar="N",
    help="Survivors allowed on changed lines (default: [tool.gate.pr] max_new_survivors).",
)
@click.option("--max-children", type=click.IntRange(min=1), help="Parallel mutmut workers.")
@click.option("--no-confirm", is_flag=True, help="Do not re-run survivors alone to weed out flaky verdicts.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--no-causes",
    is_flag=True,
    help="Skip the mock census: no cause per survivor; reports say so at the top.",
)
@witness_option
@click.option("--quiet", "-q", is_flag=True, help="Nothing on stdout; the exit code says it.")
def pr_command(
    base: str,
    post: bool,
    repo: str | None,
    number: int | None,
    api_url: str | None,
    report_url: str | None,
    fmt: str,
    output: Path | None,
    as_json: bool,
    comment_file: Path,
    fail_under: float | None,
    max_new_survivors: int | None,
    max_children: int | None,
    no_confirm: bool,
    no_progress: bool,
    no_causes: bool,
    witness_budget: float | None,
    quiet: bool,
) -> None:
    """Test only the mutants on lines changed since the merge base of REF and the work tree, and
    render the PR comment: score on the changed lines, then each survivor with its cause, diff, the
    tests that ran it and what to do. Cached verdicts are re-used; survivors are re-run alone first.

    \b
    Exit codes: 0 passed, 1 survivors over max_new_survivors or score under the floor,
    2 usage/configuration (unknown ref, no PR number), 3 could not run or could not post.

    \b
    Examples:
      gate pr --base origin/main                      the comment on stdout
      gate pr --base origin/main -f text              terminal report
      gate pr --base origin/main --post               in Actions: create/update the comment
      gate pr --base main --post --repo me/proj --pr 12 --api-url https://ghe.example/api/v3
    """
    env = os.environ
    to = destination(repo, number, env) if post else None

    def stage(message: str) -> None:
        if not quiet:
            click.echo(f"gate: {message}", err=True)

    config = project_config()
    warn(config, quiet)
    with ProgressReporter(enabled=not (quiet or no_progress)) as progress:
        done = review(
            config,
            base,
            env=env,
            fail_under=fail_under,
            max_new_survivors=max_new_survivors,
            max_children=max_children,
            confirm=not no_confirm,
            report_url=report_url,
            comment_file=comment_file,
            on_progress=progress.update,
            on_stage=stage,
            causes=not no_causes,
            witness_budget=budget(config, witness_budget),
        )
    warn_run(config, done.warnings, quiet)
    for note in done.notes:
        stage(note)
    if not quiet:
        for line in done.annotations:
            click.echo(line)
    if fmt == "markdown" and not as_json:
        if output is not None:
            write_text_atomic(output, done.comment)
        elif not quiet:
            click.echo(done.comment, nl=False)
    else:
        emit(done.result, done.verdict, fmt=fmt, output=output, as_json=as_json, quiet=quiet)
    if to is not None:
        skipped = skipped_post(env, comment_file)
        if skipped:
            click.echo(
                f"::notice title=gate::{skipped}" if in_github_actions(env) else f"gate: {skipped}", err=True
            )
        else:
            stage(post_comment(done.comment, to, api_url=api_url, env=env))
    exit_with(done.verdict)
