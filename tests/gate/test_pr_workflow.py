"""The shipped PR workflow: triggers, permissions, history depth, the gate step, and its fork handling.

actionlint is not installable from PyPI here, so the structure is checked with PyYAML and the step's
shell script is run with bash against a stand-in `gate` that records its arguments.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "mutation-pr.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(workflow):
    (job,) = workflow["jobs"].values()
    return job["steps"]


def step(steps, name):
    return next(s for s in steps if s.get("name") == name or s.get("uses", "").startswith(name))


def test_runs_on_pull_requests_touching_services_or_tests(workflow):
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert list(triggers) == ["pull_request"]
    assert triggers["pull_request"]["paths"] == ["py/**", "tests/**"]


def test_the_token_may_comment_and_nothing_more(workflow):
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_checkout_has_the_whole_history_and_python_is_3_11(steps):
    assert step(steps, "actions/checkout@")["with"]["fetch-depth"] == 0
    assert step(steps, "actions/setup-python@")["with"]["python-version"] == "3.11"
    assert step(steps, "Install")["run"].strip() == 'python -m pip install -e ".[dev]"'


def test_the_gate_step_gets_its_inputs_through_the_environment(steps):
    gate = step(steps, "Mutation-test the changed lines")
    assert gate["env"] == {
        "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
        "BASE_REF": "${{ github.base_ref }}",
        "HEAD_REPO": "${{ github.event.pull_request.head.repo.full_name }}",
    }
    # Expressions expanded inside a script are an injection risk: every run block uses env vars only.
    for each in steps:
        assert "${{" not in each.get("run", ""), each.get("name")


def test_reports_are_uploaded_even_when_the_gate_fails(steps):
    upload = step(steps, "Upload the reports")
    assert upload["if"] == "always()"
    assert upload["uses"].startswith("actions/upload-artifact@v4")
    paths = upload["with"]["path"].split()
    assert {".gate/pr-comment.md", ".gate/results-pr.json", "gate-pr.sarif"} <= set(paths)


def run_gate_step(steps, tmp_path, head_repo):
    script = step(steps, "Mutation-test the changed lines")["run"]
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "gate"
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "ARGS_FILE": str(tmp_path / "args"),
        "BASE_REF": "main",
        "HEAD_REPO": head_repo,
        "GITHUB_REPOSITORY": "acme/models",
    }
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, check=True)
    return (tmp_path / "args").read_text().splitlines(), done.stdout


def test_same_repository_pull_requests_post_the_comment(steps, tmp_path):
    args, out = run_gate_step(steps, tmp_path, "acme/models")
    assert args == [
        "pr",
        "--base",
        "origin/main",
        "--no-progress",
        "-f",
        "sarif",
        "-o",
        "gate-pr.sarif",
        "--post",
    ]
    assert out == ""


def test_fork_pull_requests_skip_posting_with_a_notice(steps, tmp_path):
    args, out = run_gate_step(steps, tmp_path, "stranger/models")
    assert "--post" not in args
    assert args[:3] == ["pr", "--base", "origin/main"]
    assert re.match(
        r"::notice title=gate::pull request from the fork stranger/models: no comment is posted", out
    )


def test_every_script_is_valid_bash(steps):
    for each in steps:
        if "run" in each:
            subprocess.run(["bash", "-n", "-c", each["run"]], check=True)
