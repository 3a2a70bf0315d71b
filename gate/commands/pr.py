"""`gate pr --base REF`: mutants on the lines changed since REF, the PR comment, and optionally posting it.

Survivors are confirmed alone before they count; in GitHub Actions each one also becomes an annotation.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from gate.atomic import write_text_atomic
from gate.commands.common import emit, exit_with, format_options_for, project_config, warn, warn_run
from gate.exit_code import ConfigError
from gate.pipeline import publish
from gate.pr.annotation import annotations, in_github_actions
from gate.pr.github import GitHubClient, api_url_from, fork_notice, resolve_pull_request
from gate.pr.policy import judge_changed_lines
from gate.pr.scope import run_in_diff
from gate.progress import ProgressReporter
from gate.report.markdown import render_markdown

COMMENT_FILE = Path(".gate") / "pr-comment.md"


def default_report_url(env: dict[str, str] | os._Environ[str]) -> str | None:
    """The Actions run page, where the uploaded report artifacts are listed."""
    if (
        env.get("GITHUB_ACTIONS") != "true"
        or not env.get("GITHUB_RUN_ID")
        or not env.get("GITHUB_REPOSITORY")
    ):
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"


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
    if post:
        # Fail fast on a missing PR or token, before minutes of mutation testing.
        pull_request = resolve_pull_request(repo, number, env)
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            raise ConfigError("GITHUB_TOKEN is not set: --post needs a token that may comment on the PR")
    config = project_config()
    warn(config, quiet)
    floor = fail_under
    if floor is None:
        floor = config.value("pr.fail_under")
    if floor is None:
        floor = config.fail_under
    allowed = (
        max_new_survivors if max_new_survivors is not None else int(config.value("pr.max_new_survivors"))
    )

    def stage(message: str) -> None:
        if not quiet:
            click.echo(f"gate: {message}", err=True)

    with ProgressReporter(enabled=not (quiet or no_progress)) as progress:
        found = run_in_diff(
            config,
            base,
            fail_under=floor,
            max_children=max_children,
            confirm=not no_confirm,
            on_progress=progress.update,
            on_stage=stage,
        )
    result = found.result
    warn_run(config, found.warnings, quiet)
    if found.unplaced:
        stage(f"{found.unplaced} mutant(s) of the changed files have no known line and were left out")
    if found.flaky:
        stage(f"{len(found.flaky)} survivor(s) were killed when re-run alone: reported as flaky")
    verdict = judge_changed_lines(result, allowed, floor)
    report_url = report_url or default_report_url(env)
    comment = render_markdown(result, report_url=report_url, verdict=verdict)
    publish(config, result)
    write_text_atomic(config.root / comment_file if not comment_file.is_absolute() else comment_file, comment)

    if in_github_actions(env) and not quiet:
        for line in annotations(result.survivors()):
            click.echo(line)
    if fmt == "markdown" and not as_json:
        if output is not None:
            write_text_atomic(output, comment)
        elif not quiet:
            click.echo(comment, nl=False)
    else:
        emit(result, verdict, fmt=fmt, output=output, as_json=as_json, quiet=quiet)

    if post:
        notice = fork_notice(env)
        if notice:
            notice += f"; the comment is in {comment_file}"
            click.echo(
                f"::notice title=gate::{notice}" if in_github_actions(env) else f"gate: {notice}", err=True
            )
        else:
            with GitHubClient(token, api_url_from(api_url, env)) as client:
                posted = client.upsert_comment(pull_request, comment)
            stage(f"comment {posted.action} on {pull_request}" + (f": {posted.url}" if posted.url else ""))
    exit_with(verdict)
