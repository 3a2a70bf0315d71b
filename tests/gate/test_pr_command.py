"""`gate pr` as a user runs it, on a real git project, where no mutant needs testing (fast, no mutmut run).

Diffs that select nothing, posting to a local GitHub stand-in, fork pull requests, usage errors.
"""

from __future__ import annotations

import json

import pytest

from gate.report.markdown import MARKER
from tests.gate.github_server import Canned, FakeGitHub
from tests.gate.pr_project import BASE_TESTS, make_project

TESTS_ONLY_COMMENT = (
    f"{MARKER}\n### Mutation testing of the changed lines: ✅ passed\n\n"
    "No mutants were possible on the changed lines: the change touches only tests (1 file).\n"
)
POSTED = TESTS_ONLY_COMMENT + "\n[Full report](https://github.example/acme/shop/actions/runs/99)\n"


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path / "shop")
    project.repo.git("checkout", "-q", "main")
    project.repo.branch("tests-only")
    project.repo.write(
        "tests/test_prices.py", BASE_TESTS + "\n\ndef test_add_zero():\n    assert add(0, 0) == 0\n"
    )
    project.repo.commit("one more test")
    return project


@pytest.fixture
def github():
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


def actions_env(tmp_path, github, *, head="acme/shop", number=7):
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": number,
                "pull_request": {
                    "number": number,
                    "head": {"repo": {"full_name": head}},
                    "base": {"repo": {"full_name": "acme/shop"}},
                },
            }
        )
    )
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.token,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "99",
    }


def test_a_change_only_in_tests_selects_nothing_and_says_so(project):
    done = project.gate("pr", "--base", "main")

    assert done.returncode == 0, done.stderr
    assert done.stdout == TESTS_ONLY_COMMENT
    assert "gate: the change touches only tests (1 file): no mutants on changed lines" in done.stderr
    assert not (project.root / "mutants").exists()  # nothing was generated, nothing ran
    assert (project.root / ".gate" / "pr-comment.md").read_text() == TESTS_ONLY_COMMENT
    results = json.loads((project.root / ".gate" / "results-pr.json").read_text())
    assert results["selection"] == "changed-lines"
    assert results["mutants"] == []
    assert results["scope"]["tests_changed"] == ["tests/test_prices.py"]


def test_post_creates_then_edits_one_comment_and_never_prints_the_token(project, github, tmp_path):
    env = actions_env(tmp_path, github)

    first = project.gate("pr", "--base", "main", "--post", env=env)
    second = project.gate("pr", "--base", "main", "--post", env=env)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", "/repos/acme/shop/issues/7/comments"),
        ("POST", "/repos/acme/shop/issues/7/comments"),
        ("GET", "/repos/acme/shop/issues/7/comments"),
    ]  # the second body is identical: found by its marker and left alone
    assert all(r.headers["Authorization"] == f"Bearer {github.token}" for r in github.requests)
    (comment,) = github.comments[("acme/shop", 7)]
    assert comment["body"] == POSTED
    assert "gate: comment created on acme/shop#7" in first.stderr
    assert "gate: comment unchanged on acme/shop#7" in second.stderr
    for out in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert github.token not in out


def test_a_changed_comment_is_edited_in_place(project, github, tmp_path):
    env = actions_env(tmp_path, github)
    old = github.add_comment("acme/shop", 7, f"{MARKER}\nan older report", user="github-actions[bot]")
    github.add_comment("acme/shop", 7, "LGTM")

    done = project.gate("pr", "--base", "main", "--post", env=env)

    assert done.returncode == 0, done.stderr
    assert [r.method for r in github.requests] == ["GET", "PATCH"]
    assert github.requests[1].path == f"/repos/acme/shop/issues/comments/{old['id']}"
    assert [c["body"].startswith(MARKER) for c in github.comments[("acme/shop", 7)]] == [True, False]
    assert old["body"] == POSTED


def test_flags_win_over_the_environment(project, github, tmp_path):
    env = actions_env(tmp_path, github)
    done = project.gate("pr", "--base", "main", "--post", "--repo", "other/repo", "--pr", "3", env=env)
    assert done.returncode == 0, done.stderr
    assert [r.path for r in github.requests][-1] == "/repos/other/repo/issues/3/comments"


def test_a_fork_pull_request_is_not_posted_and_says_why(project, github, tmp_path):
    env = actions_env(tmp_path, github, head="stranger/shop")

    done = project.gate("pr", "--base", "main", "--post", env=env)

    assert done.returncode == 0, done.stderr
    assert github.requests == []
    assert (
        "::notice title=gate::pull request from the fork stranger/shop: its token cannot comment on acme/shop, "
        "so nothing is posted; the comment is in .gate/pr-comment.md"
    ) in done.stderr


def test_a_refused_post_is_one_line_exit_3_and_the_comment_file_is_kept(project, github, tmp_path):
    env = actions_env(tmp_path, github)
    github.failures.append(Canned(403, {"message": "Resource not accessible by integration"}))

    done = project.gate("pr", "--base", "main", "--post", env=env)

    assert done.returncode == 3
    assert done.stderr.splitlines()[-1] == (
        "gate: error: GitHub refused access (403: Resource not accessible by integration) while trying to list the "
        "comments of acme/shop#7: the token needs `pull-requests: write` (a pull request from a fork gets a "
        "read-only token)"
    )
    assert "Traceback" not in done.stderr and github.token not in done.stderr
    assert (project.root / ".gate" / "pr-comment.md").read_text().startswith(MARKER)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--post", "--repo", "a/b", "--pr", "1"],
            {},
            "gate: error: GITHUB_TOKEN is not set: --post needs a token",
        ),
        (["--post"], {"GITHUB_TOKEN": "t"}, "gate: error: no repository: pass --repo OWNER/NAME"),
        (
            ["--post", "--repo", "a/b"],
            {"GITHUB_TOKEN": "t"},
            "gate: error: no pull request number: pass --pr N",
        ),
    ],
)
def test_posting_without_what_it_needs_stops_before_any_work(project, args, env, message):
    done = project.gate("pr", "--base", "main", *args, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1
    assert not (project.root / ".gate").exists()


def test_an_unknown_base_is_a_usage_error(project):
    done = project.gate("pr", "--base", "origin/nope")
    assert done.returncode == 2
    assert done.stderr == (
        "gate: error: unknown base ref 'origin/nope': fetch it first (actions/checkout with fetch-depth: 0)\n"
    )
