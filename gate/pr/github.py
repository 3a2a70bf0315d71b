"""Publishes the PR comment: one sticky comment per pull request, found by its marker and edited in place.

Talks to the GitHub REST API (or GitHub Enterprise, or a local test server) with GITHUB_TOKEN.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx

from gate import __version__
from gate.exit_code import ConfigError, GateError
from gate.report.markdown import MARKER

PUBLIC_API = "https://api.github.com"
# How long the gate waits out a rate limit before it gives up with a message instead.
MAX_RATE_LIMIT_WAIT_S = 60.0
_RETRIES = 3


class GitHubError(GateError):
    """GitHub refused or could not be reached: the run itself was judged, the comment was not posted."""


@dataclass(frozen=True)
class PullRequest:
    """Where the comment goes."""

    repo: str  # OWNER/NAME
    number: int

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class Posted:
    """What upsert_comment did."""

    action: str  # created | updated | unchanged
    comment_id: int
    url: str


def resolve_pull_request(
    repo: str | None = None, number: int | None = None, env: Mapping[str, str] | None = None
) -> PullRequest:
    """The target PR from flags (which win) or the GitHub Actions environment."""
    env = os.environ if env is None else env
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    if number is None:
        number = _number_from_event(env.get("GITHUB_EVENT_PATH"))
    if not repo:
        raise ConfigError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"--repo must look like OWNER/NAME, got {repo!r}")
    if number is None:
        raise ConfigError("no pull request number: pass --pr N or run in a pull_request workflow")
    if number <= 0:
        raise ConfigError(f"--pr must be a positive number, got {number}")
    return PullRequest(repo=repo, number=number)


def _event(event_path: str | None) -> dict[str, Any]:
    if not event_path:
        return {}
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the GitHub event file {event_path}: {error}") from error
    return event if isinstance(event, dict) else {}


def fork_notice(env: Mapping[str, str] | None = None) -> str | None:
    """Why posting is skipped: a pull request from a fork runs with a read-only token. None otherwise."""
    env = os.environ if env is None else env
    pull = _event(env.get("GITHUB_EVENT_PATH")).get("pull_request")
    if not isinstance(pull, dict):
        return None
    head = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or env.get("GITHUB_REPOSITORY")
    if head and base and head != base:
        return f"pull request from the fork {head}: its token cannot comment on {base}, so nothing is posted"
    return None


def _number_from_event(event_path: str | None) -> int | None:
    event = _event(event_path)
    for key in ("pull_request", "issue"):
        value = event.get(key)
        if isinstance(value, dict) and isinstance(value.get("number"), int):
            return cast(int, value["number"])
    run = event.get("workflow_run")
    if isinstance(run, dict) and run.get("pull_requests"):
        first = run["pull_requests"][0]
        if isinstance(first, dict) and isinstance(first.get("number"), int):
            return cast(int, first["number"])
    number = event.get("number")
    return number if isinstance(number, int) else None


def api_url_from(flag: str | None = None, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (flag or env.get("GITHUB_API_URL") or PUBLIC_API).rstrip("/")


class GitHubClient:
    """The few REST calls the gate makes, with pagination, rate-limit waits and one-line errors.

    The token goes only into the Authorization header; no message, exception or log line carries it.
    """

    def __init__(
        self,
        token: str,
        api_url: str = PUBLIC_API,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise ConfigError("GITHUB_TOKEN is not set: the comment cannot be posted")
        self._sleep = sleep
        self._clock = clock
        self._max_wait_s = max_wait_s
        self._api_url = api_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self._api_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"gate/{__version__}",
            },
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the calls -------------------------------------------------------------------------------------

    def list_comments(self, pr: PullRequest) -> list[dict[str, Any]]:
        """Every comment of the PR's conversation, following the Link header's `next` pages."""
        comments: list[dict[str, Any]] = []
        url: str | None = f"/repos/{pr.repo}/issues/{pr.number}/comments?per_page=100"
        pages = 0
        while url is not None:
            response = self._request("GET", url, what=f"list the comments of {pr}")
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(
                    f"GitHub answered the comment list of {pr} with something other than a list"
                )
            comments.extend(page)
            pages += 1
            url = response.links.get("next", {}).get("url")
            if pages >= 1000:  # 100,000 comments: a loop in the Link headers, not a real PR
                raise GitHubError(f"GitHub's pagination of {pr}'s comments does not end")
        return comments

    def create_comment(self, pr: PullRequest, body: str) -> dict[str, Any]:
        response = self._request(
            "POST",
            f"/repos/{pr.repo}/issues/{pr.number}/comments",
            json={"body": body},
            what=f"comment on {pr}",
        )
        return cast(dict[str, Any], response.json())

    def update_comment(self, pr: PullRequest, comment_id: int, body: str) -> dict[str, Any]:
        response = self._request(
            "PATCH",
            f"/repos/{pr.repo}/issues/comments/{comment_id}",
            json={"body": body},
            what=f"update comment {comment_id} on {pr}",
        )
        return cast(dict[str, Any], response.json())

    def upsert_comment(self, pr: PullRequest, body: str, marker: str = MARKER) -> Posted:
        """Edit the comment that starts with `marker`, or create it: never a second one."""
        if marker not in body:
            body = f"{marker}\n{body}"
        existing = find_marked(self.list_comments(pr), marker)
        if existing is None:
            created = self.create_comment(pr, body)
            return Posted("created", int(created["id"]), str(created.get("html_url", "")))
        if existing.get("body") == body:
            return Posted("unchanged", int(existing["id"]), str(existing.get("html_url", "")))
        updated = self.update_comment(pr, int(existing["id"]), body)
        return Posted("updated", int(updated["id"]), str(updated.get("html_url", "")))

    # -- transport -------------------------------------------------------------------------------------

    def _request(self, method: str, url: str, *, what: str, json: Any = None) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(method, url, json=json)
            except httpx.TimeoutException as error:
                if attempt < _RETRIES:
                    self._sleep(2.0 * attempt)
                    continue
                raise GitHubError(f"GitHub did not answer in time ({what}): {type(error).__name__}") from None
            except httpx.HTTPError as error:
                raise GitHubError(f"cannot reach {self._api_url} ({what}): {_reason(error)}") from None
            if response.is_success:
                return response
            wait = self._rate_limit_wait(response)
            if wait is not None:
                if wait <= self._max_wait_s and attempt < _RETRIES:
                    self._sleep(wait)
                    continue
                raise GitHubError(self._rate_limit_message(response, wait, what))
            if response.status_code in (502, 503, 504) and attempt < _RETRIES:
                self._sleep(2.0 * attempt)
                continue
            raise GitHubError(_status_message(response, what))

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait when the response is a rate limit (primary or secondary), else None."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = response.headers.get("x-ratelimit-reset")
            try:
                return max(0.0, float(reset) - self._clock()) if reset else 60.0
            except ValueError:
                return 60.0
        if response.status_code == 429:
            return 60.0
        return None

    def _rate_limit_message(self, response: httpx.Response, wait: float, what: str) -> str:
        reset = response.headers.get("x-ratelimit-reset")
        when = ""
        if reset and reset.isdigit():
            when = " until " + datetime.fromtimestamp(int(reset), tz=UTC).strftime("%H:%M:%S UTC")
        return (
            f"GitHub rate limit reached ({response.status_code}) while trying to {what}: "
            f"retry in {wait:.0f} s{when}"
        )


def find_marked(comments: list[dict[str, Any]], marker: str = MARKER) -> dict[str, Any] | None:
    """The first comment whose body starts with the marker (a quote of it in a reply starts with '>')."""
    for comment in comments:
        body = comment.get("body") or ""
        if body.lstrip().startswith(marker):
            return comment
    return None


def _reason(error: httpx.HTTPError) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _github_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message", ""))
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        details = []
        for item in errors[:3]:
            if isinstance(item, dict):
                details.append(str(item.get("message") or item.get("code") or item))
            else:
                details.append(str(item))
        message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
    return " ".join(message.split())[:300]


def _status_message(response: httpx.Response, what: str) -> str:
    status = response.status_code
    said = _github_message(response)
    said = f": {said}" if said else ""
    if status == 401:
        return f"GitHub rejected the token (401{said}) while trying to {what}: check GITHUB_TOKEN"
    if status == 403:
        return (
            f"GitHub refused access (403{said}) while trying to {what}: the token needs "
            f"`pull-requests: write` (a pull request from a fork gets a read-only token)"
        )
    if status == 404:
        return (
            f"GitHub found no such repository or pull request (404{said}) while trying to {what}: "
            f"check --repo/--pr and the token's access"
        )
    if status == 422:
        return f"GitHub refused the comment (422{said}) while trying to {what}"
    return f"GitHub answered {status}{said} while trying to {what}"
