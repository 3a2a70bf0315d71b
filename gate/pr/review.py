"""`gate pr` as a library: judge the lines a change touched, write the sticky comment, and post it.

The click command (gate.commands.pr) only parses options, shows what these functions return and exits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate import pipeline
from gate.atomic import write_text_atomic
from gate.config import GateConfig
from gate.exit_code import ConfigError
from gate.model import RunResult, Verdict
from gate.mutmut.process import ProgressCallback
from gate.pr.annotation import annotations as workflow_annotations
from gate.pr.annotation import in_github_actions
from gate.pr.github import GitHubClient, PullRequest, api_url_from, fork_notice, resolve_pull_request
from gate.pr.scope import Stage, run_changed_lines
from gate.report.markdown import render_markdown

COMMENT_FILE = Path(".gate") / "pr-comment.md"


@dataclass(frozen=True)
class Destination:
    """Where `--post` puts the comment, checked before any mutant is tested."""

    pull_request: PullRequest
    token: str


@dataclass(frozen=True)
class Review:
    """A judged changed-lines run and its comment (already written to the comment file)."""

    result: RunResult
    verdict: Verdict
    comment: str
    warnings: list[str]
    notes: list[str]  # what the user should know about the run (left-out or flaky mutants)
    annotations: list[str]  # workflow commands for GitHub Actions (none elsewhere)


def destination(repo: str | None, number: int | None, env: Mapping[str, str]) -> Destination:
    """The PR and token `--post` needs: fail fast when one is missing, before minutes of mutation testing."""
    pull_request = resolve_pull_request(repo, number, env)
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        raise ConfigError("GITHUB_TOKEN is not set: --post needs a token that may comment on the PR")
    return Destination(pull_request, token)


def review(
    config: GateConfig,
    base: str,
    *,
    env: Mapping[str, str],
    fail_under: float | None = None,
    max_new_survivors: int | None = None,
    max_children: int | None = None,
    confirm: bool = True,
    report_url: str | None = None,
    comment_file: Path = COMMENT_FILE,
    on_progress: ProgressCallback | None = None,
    on_stage: Stage | None = None,
    causes: bool = True,
    witness_budget: float = 0.0,
) -> Review:
    """Run and judge the changed lines since `base` (floor and allowance default to `[tool.gate.pr]`),
    keep the result, and write the PR comment to `comment_file` (relative to the project)."""
    floor = fail_under
    if floor is None:
        floor = config.value("pr.fail_under")
    if floor is None:
        floor = config.fail_under
    allowed = (
        max_new_survivors if max_new_survivors is not None else int(config.value("pr.max_new_survivors"))
    )
    found = run_changed_lines(
        config,
        base,
        max_new_survivors=allowed,
        fail_under=floor,
        max_children=max_children,
        confirm=confirm,
        on_progress=on_progress,
        on_stage=on_stage,
        causes=causes,
        witness_budget=witness_budget,
    )
    result, verdict = found.result, found.execution.verdict
    notes = []
    if found.unplaced:
        notes.append(f"{found.unplaced} mutant(s) of the changed files have no known line and were left out")
    if found.flaky:
        notes.append(f"{len(found.flaky)} survivor(s) were killed when re-run alone: reported as flaky")
    comment = render_markdown(result, report_url=report_url or default_report_url(env), verdict=verdict)
    pipeline.publish(config, result)
    write_text_atomic(config.root / comment_file if not comment_file.is_absolute() else comment_file, comment)
    return Review(
        result=result,
        verdict=verdict,
        comment=comment,
        warnings=found.execution.warnings,
        notes=notes,
        annotations=workflow_annotations(result.survivors()) if in_github_actions(env) else [],
    )


def post(comment: str, to: Destination, *, api_url: str | None, env: Mapping[str, str]) -> str:
    """Create or update the sticky comment on the PR; returns what happened, for one line of output."""
    with GitHubClient(to.token, api_url_from(api_url, env)) as client:
        posted = client.upsert_comment(to.pull_request, comment)
    return f"comment {posted.action} on {to.pull_request}" + (f": {posted.url}" if posted.url else "")


def skipped_post(env: Mapping[str, str], comment_file: Path) -> str | None:
    """Why nothing may be posted (a pull request from a fork runs with a read-only token), else None."""
    notice = fork_notice(env)
    return f"{notice}; the comment is in {comment_file}" if notice else None


def default_report_url(env: Mapping[str, str]) -> str | None:
    """The Actions run page, where the uploaded report artifacts are listed."""
    if (
        env.get("GITHUB_ACTIONS") != "true"
        or not env.get("GITHUB_RUN_ID")
        or not env.get("GITHUB_REPOSITORY")
    ):
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
