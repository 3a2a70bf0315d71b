"""Workflow-command annotations: escaping, one per changed line with survivors, GitHub's cap per step."""

from __future__ import annotations

from gate.model import Cause, Status
from gate.pr.annotation import annotation, annotations, escape_data, escape_property, in_github_actions
from tests.gate.results_fixture import many_survivors, mutant, pr_result


def test_escaping_follows_the_actions_toolkit():
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("py/a,b:c%.py\n") == "py/a%2Cb%3Ac%25.py%0A"


def test_an_annotation_for_a_weak_assertion():
    survivor = pr_result().mutants[3]
    assert annotation(survivor, others=2) == (
        "::warning file=py/services/downloader.py,line=15,title=Surviving mutant%3A weak assertion::"
        "return base * 2 ** attempt -> return base / 2 ** attempt%0A"
        "5 tests ran it and passed.%0A"
        "Assert the exact delay: `retry_delay(2)` must return `2.0`.%0A"
        "2 more mutants on this line also survive."
    )


def test_one_annotation_per_line_and_none_for_flaky_or_accepted():
    lines = annotations(pr_result().survivors())
    assert [line.split("::")[1].split(",title")[0] for line in lines] == [
        "warning file=py/services/download_manager.py,line=30",
        "warning file=py/services/download_manager.py,line=44",
        "warning file=py/services/downloader.py,line=15",
    ]
    assert (
        "Surviving mutant%3A hidden by mock::return sha256(data).hexdigest() -> return None%0ANo test"
        in lines[1]
    )


def test_a_file_name_with_a_comma_cannot_inject_properties():
    (line,) = annotations([mutant(1, 3, Status.SURVIVED, Cause.UNTESTED, file="py/a,line=1.py")])
    assert line.startswith("::warning file=py/a%2Cline=1.py,line=3,title=")


def test_more_lines_than_github_shows_end_with_a_notice():
    lines = annotations(many_survivors(25, files=25).survivors(), limit=10)
    assert len(lines) == 11
    assert all(line.startswith("::warning ") for line in lines[:10])
    assert (
        lines[10]
        == "::notice title=gate::15 more lines with surviving mutants: see the PR comment or the full report"
    )


def test_only_github_actions_turns_annotations_on():
    assert in_github_actions({"GITHUB_ACTIONS": "true"})
    assert not in_github_actions({"CI": "true"})
