"""The sticky PR comment against a local server speaking GitHub's REST API: create, edit, paginate, fail."""

from __future__ import annotations

import json

import pytest

from gate.exit_code import ConfigError
from gate.pr.github import (
    MARKER,
    GitHubClient,
    GitHubError,
    PullRequest,
    api_url_from,
    find_marked,
    resolve_pull_request,
)
from tests.gate.github_server import Canned, FakeGitHub

REPO = "acme/models"
PR = PullRequest(REPO, 7)


@pytest.fixture
def github():
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


@pytest.fixture
def slept():
    return []


@pytest.fixture
def client(github, slept):
    with GitHubClient(github.token, github.url, sleep=slept.append, clock=lambda: 1_700_000_000.0) as c:
        yield c


def body(text: str) -> str:
    return f"{MARKER}\n{text}"


def test_first_run_creates_the_comment_with_auth_and_json_body(github, client):
    posted = client.upsert_comment(PR, body("score 50%"))

    assert posted.action == "created"
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", "/repos/acme/models/issues/7/comments"),
        ("POST", "/repos/acme/models/issues/7/comments"),
    ]
    get, post = github.requests
    assert get.query == {"per_page": ["100"]}
    assert post.headers["Authorization"] == f"Bearer {github.token}"
    assert post.headers["Accept"] == "application/vnd.github+json"
    assert post.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert post.body == {"body": body("score 50%")}
    assert [c["body"] for c in github.comments[(REPO, 7)]] == [body("score 50%")]
    assert posted.comment_id == github.comments[(REPO, 7)][0]["id"]


def test_second_run_edits_the_same_comment_instead_of_adding_one(github, client):
    first = client.upsert_comment(PR, body("score 50%"))
    github.requests.clear()

    second = client.upsert_comment(PR, body("score 100%"))

    assert second.action == "updated"
    assert second.comment_id == first.comment_id
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", "/repos/acme/models/issues/7/comments"),
        ("PATCH", f"/repos/acme/models/issues/comments/{first.comment_id}"),
    ]
    assert github.requests[1].body == {"body": body("score 100%")}
    assert [c["body"] for c in github.comments[(REPO, 7)]] == [body("score 100%")]


def test_an_identical_body_is_not_sent_again(github, client):
    client.upsert_comment(PR, body("same"))
    github.requests.clear()

    posted = client.upsert_comment(PR, body("same"))

    assert posted.action == "unchanged"
    assert [r.method for r in github.requests] == ["GET"]


def test_the_marker_is_added_when_the_body_lacks_it(github, client):
    client.upsert_comment(PR, "plain text")
    assert github.comments[(REPO, 7)][0]["body"] == f"{MARKER}\nplain text"


def test_the_marked_comment_is_found_on_a_later_page(github, client):
    for i in range(230):
        github.add_comment(REPO, 7, f"review note {i}")
    ours = github.add_comment(REPO, 7, body("old"), user="github-actions[bot]")
    for i in range(15):
        github.add_comment(REPO, 7, f"late note {i}")

    posted = client.upsert_comment(PR, body("new"))

    assert (posted.action, posted.comment_id) == ("updated", ours["id"])
    pages = [r.query.get("page", ["1"])[0] for r in github.requests if r.method == "GET"]
    assert pages == ["1", "2", "3"]
    assert not any(r.method == "POST" for r in github.requests)
    assert len(github.comments[(REPO, 7)]) == 246
    assert ours["body"] == body("new")


def test_a_reply_quoting_the_marker_is_not_taken_for_the_comment():
    comments = [
        {"id": 1, "body": f"> {MARKER}\n> old report\nI disagree"},
        {"id": 2, "body": f"\n{MARKER}\nreport"},
    ]
    assert find_marked(comments)["id"] == 2
    assert find_marked(comments[:1]) is None


@pytest.mark.parametrize(
    ("canned", "expected"),
    [
        (Canned(401, {"message": "Bad credentials"}), "GitHub rejected the token (401: Bad credentials)"),
        (
            Canned(403, {"message": "Resource not accessible by integration"}),
            "GitHub refused access (403: Resource not accessible by integration)",
        ),
        (
            Canned(404, {"message": "Not Found"}),
            "GitHub found no such repository or pull request (404: Not Found)",
        ),
        (
            Canned(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"code": "custom", "message": "body is too long"}],
                },
            ),
            "GitHub refused the comment (422: Validation Failed (body is too long))",
        ),
    ],
)
def test_error_statuses_become_one_line_messages_without_the_token(github, client, canned, expected):
    github.failures.append(canned)

    with pytest.raises(GitHubError) as caught:
        client.upsert_comment(PR, body("x"))

    message = str(caught.value)
    assert message.startswith(expected)
    assert "list the comments of acme/models#7" in message
    assert "\n" not in message
    assert github.token not in message
    assert github.comments.get((REPO, 7), []) == []


def test_a_wrong_token_is_rejected_by_the_server_and_reported(github):
    with GitHubClient("ghp_wrong_secret", github.url) as wrong, pytest.raises(GitHubError) as caught:
        wrong.upsert_comment(PR, body("x"))
    assert "401" in str(caught.value)
    assert "ghp_wrong_secret" not in str(caught.value)
    assert github.requests[0].headers["Authorization"] == "Bearer ghp_wrong_secret"


def test_an_error_on_create_names_the_action(github, client):
    github.failures.extend([Canned(200, []), Canned(422, {"message": "Validation Failed"})])
    with pytest.raises(
        GitHubError,
        match=r"^GitHub refused the comment \(422: Validation Failed\) while trying to comment on acme/models#7$",
    ):
        client.upsert_comment(PR, body("x"))


def test_primary_rate_limit_is_waited_out_until_the_reset(github, client, slept):
    github.failures.append(
        Canned(
            403,
            {"message": "API rate limit exceeded"},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(1_700_000_000 + 12)},
        )
    )

    posted = client.upsert_comment(PR, body("x"))

    assert posted.action == "created"
    assert slept == [12.0]
    assert [r.method for r in github.requests] == ["GET", "GET", "POST"]


def test_secondary_rate_limit_honours_retry_after(github, client, slept):
    github.failures.extend([Canned(200, []), Canned(429, {"message": "slow down"}, {"Retry-After": "3"})])

    posted = client.upsert_comment(PR, body("x"))

    assert posted.action == "created"
    assert slept == [3.0]
    assert [r.method for r in github.requests] == ["GET", "POST", "POST"]
    assert len(github.comments[(REPO, 7)]) == 1


def test_a_rate_limit_longer_than_the_wait_budget_fails_with_the_reset_time(github, client, slept):
    github.failures.append(
        Canned(
            403,
            {"message": "API rate limit exceeded"},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(1_700_000_000 + 3600)},
        )
    )

    with pytest.raises(GitHubError) as caught:
        client.upsert_comment(PR, body("x"))

    assert str(caught.value) == (
        "GitHub rate limit reached (403) while trying to list the comments of acme/models#7: "
        "retry in 3600 s until 23:13:20 UTC"
    )
    assert slept == []


def test_a_gateway_error_is_retried(github, client, slept):
    github.failures.append(Canned(502, {"message": "Bad Gateway"}))
    assert client.upsert_comment(PR, body("x")).action == "created"
    assert slept == [2.0]


def test_an_unreachable_server_is_one_line(slept):
    with (
        GitHubClient("tok", "http://127.0.0.1:9", sleep=slept.append) as c,
        pytest.raises(GitHubError) as caught,
    ):
        c.list_comments(PR)
    assert str(caught.value).startswith(
        "cannot reach http://127.0.0.1:9 (list the comments of acme/models#7)"
    )


def test_an_empty_token_is_a_usage_error():
    with pytest.raises(ConfigError, match="GITHUB_TOKEN is not set"):
        GitHubClient("", "http://127.0.0.1:9")


def test_pull_request_comes_from_the_actions_environment(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": 12, "pull_request": {"number": 12}}))
    env = {"GITHUB_REPOSITORY": "acme/models", "GITHUB_EVENT_PATH": str(event)}

    assert resolve_pull_request(env=env) == PullRequest("acme/models", 12)
    assert resolve_pull_request("fork/other", 3, env=env) == PullRequest("fork/other", 3)


def test_pull_request_from_a_workflow_run_event(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"pull_requests": [{"number": 41}]}}))
    assert (
        resolve_pull_request(env={"GITHUB_REPOSITORY": "a/b", "GITHUB_EVENT_PATH": str(event)}).number == 41
    )


@pytest.mark.parametrize(
    ("repo", "number", "env", "message"),
    [
        (None, 1, {}, "no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"),
        ("acme", 1, {}, "--repo must look like OWNER/NAME, got 'acme'"),
        ("a/b", None, {}, "no pull request number: pass --pr N or run in a pull_request workflow"),
        ("a/b", 0, {}, "--pr must be a positive number, got 0"),
    ],
)
def test_missing_or_bad_pull_request_is_a_usage_error(repo, number, env, message):
    with pytest.raises(ConfigError) as caught:
        resolve_pull_request(repo, number, env=env)
    assert str(caught.value) == message


def test_api_url_flag_beats_the_environment_which_beats_the_public_api():
    assert (
        api_url_from("https://ghe.example/api/v3/", {"GITHUB_API_URL": "x"}) == "https://ghe.example/api/v3"
    )
    assert (
        api_url_from(None, {"GITHUB_API_URL": "https://ghe.example/api/v3"}) == "https://ghe.example/api/v3"
    )
    assert api_url_from(None, {}) == "https://api.github.com"
