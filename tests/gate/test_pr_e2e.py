"""`gate pr` end to end: real git, real mutmut, a local GitHub stand-in; weak test, then a strong one.

Each run mutates one small function added on a feature branch (2 mutants), so a run takes seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gate.report.markdown import MARKER
from tests.gate.github_server import FakeGitHub
from tests.gate.pr_project import STRONG_TESTS, WEAK_TESTS, make_project

pytestmark = pytest.mark.e2e

SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())


@pytest.fixture
def github():
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


def env_for(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 4}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": github.token,
    }


def survivors(root: Path) -> list[tuple[str, int, str, str]]:
    data = json.loads((root / ".gate" / "results-pr.json").read_text())
    return sorted(
        (m["file"], m["line"], m["function"], m["status"])
        for m in data["mutants"]
        if m["status"] in ("survived", "no-tests")
    )


def test_weak_test_fails_with_its_survivors_then_a_strong_test_passes(tmp_path, github):
    project = make_project(tmp_path / "shop")
    env = env_for(github, tmp_path)

    weak = project.gate(
        "pr", "--base", "main", "--post", "--api-url", github.url, "-f", "sarif", "-o", "gate.sarif", env=env
    )

    assert weak.returncode == 1, weak.stderr
    assert survivors(project.root) == [
        ("shop/prices.py", 6, "is_adult", "survived"),
        ("shop/prices.py", 6, "is_adult", "survived"),
    ]
    results = json.loads((project.root / ".gate" / "results-pr.json").read_text())
    assert [m["line"] for m in results["mutants"]] == [6, 6]  # `add` is unchanged: not in the PR's scope
    assert results["scope"]["files"] == {"shop/prices.py": [[3, 6]]}
    (comment,) = github.comments[("acme/shop", 4)]
    body = comment["body"]
    assert body.startswith(MARKER + "\n### Mutation testing of the changed lines: ❌ failed\n")
    assert "**Score on the changed lines: 0.0%**: 0 of 2 mutants killed, 2 survivors." in body
    assert body.count("**Line 6** · `is_adult`") == 1
    assert "- 1 more mutant on this line also survives" in body
    assert "- Run by `tests/test_prices.py::test_is_adult`" in body
    assert "-    return age >= 18\n+    return age > 18\n```" in body
    assert "- 2 surviving mutants on the changed lines, at most 0 allowed" in body
    assert weak.stdout.startswith("::warning file=shop/prices.py,line=6,title=Surviving mutant%3A ")
    assert weak.stdout.count("::warning ") == 1
    sarif = json.loads((project.root / "gate.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
    ] == [6, 6]
    assert "re-running 2 survivors alone to confirm" in weak.stderr
    assert github.token not in weak.stdout + weak.stderr

    project.repo.write("tests/test_prices.py", STRONG_TESTS)
    project.repo.commit("assert the boundary")
    github.requests.clear()

    strong = project.gate("pr", "--base", "main", "--post", "--api-url", github.url, env=env)

    assert strong.returncode == 0, strong.stderr
    assert survivors(project.root) == []
    (comment,) = github.comments[("acme/shop", 4)]
    assert comment["body"].startswith(
        f"{MARKER}\n### Mutation testing of the changed lines: ✅ passed\n\n"
        "**All 2 mutants on the changed lines were killed** (score 100.0%).\n"
    )
    assert [r.method for r in github.requests] == ["GET", "PATCH"]
    assert "::warning" not in strong.stdout


def test_a_survivor_killed_when_re_run_alone_is_flaky_not_survived(tmp_path):
    project = make_project(tmp_path / "shop")
    markers = tmp_path / "markers"
    markers.mkdir()
    # The first time a mutant's test runs it asserts weakly; every later run (the confirmation) strictly.
    project.repo.write(
        "tests/test_prices.py",
        WEAK_TESTS.replace(
            "    assert is_adult(30)\n",
            "    import os, pathlib\n"
            "    marker = pathlib.Path(os.environ['MARKERS']) / (os.environ.get('MUTANT_UNDER_TEST') or 'clean')\n"
            "    if marker.exists():\n"
            "        assert is_adult(18) is True and is_adult(19) is True\n"
            "    marker.touch()\n"
            "    assert is_adult(30)\n",
        ),
    )
    project.repo.commit("order-dependent test")

    done = project.gate("pr", "--base", "main", "-f", "json", env={"MARKERS": str(markers)})

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [(m["status"], m.get("flaky", False)) for m in data["mutants"]] == [
        ("killed", True),
        ("killed", True),
    ]
    assert "2 survivor(s) were killed when re-run alone: reported as flaky" in done.stderr
    comment = (project.root / ".gate" / "pr-comment.md").read_text()
    assert "2 flaky mutants (survived in the batch, killed when re-run alone)" in comment
    assert "**Line 6**" not in comment

    again = project.gate("pr", "--base", "main", "-f", "json", env={"MARKERS": str(markers)})

    assert again.returncode == 0, again.stderr
    assert "2 mutants on changed lines: 0 to test, 2 cached" in again.stderr
    assert "re-running" not in again.stderr
    assert [m.get("flaky", False) for m in json.loads(again.stdout)["mutants"]] == [True, True]


def test_a_change_to_a_target_file_with_no_mutant_on_its_lines_reports_none(tmp_path):
    project = make_project(tmp_path / "shop")
    assert project.gate("pr", "--base", "main", "--no-confirm", "-q").returncode == 1  # mutants generated
    project.repo.write(
        "shop/prices.py", "# Prices and ages.\n" + (project.root / "shop/prices.py").read_text()
    )

    done = project.gate("pr", "--base", "HEAD", "-f", "json")

    assert done.returncode == 0, done.stderr
    assert "0 mutants on changed lines: 0 to test, 0 cached" in done.stderr
    data = json.loads(done.stdout)
    assert data["mutants"] == []
    assert data["scope"]["files"] == {"shop/prices.py": [[1, 1]]}
    comment = (project.root / ".gate" / "pr-comment.md").read_text()
    assert "No mutants were possible on the " in comment and "no mutable code changed" in comment
