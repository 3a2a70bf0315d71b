"""The terminal report of causes: mock-hidden survivors first, then weak assertions, then untested code,
each function with its tally, each survivor with its tests, patch sites and hint; causes per target.
"""

from __future__ import annotations

import json

from gate.causes.census import Census
from gate.causes.classify import classify
from gate.model import Mutant, Replacement, RunResult, Status
from gate.pipeline import render

T = "tests/services/test_dl.py::"
MOD = "py.services.downloader"


def mutant(
    n: int, name: str, status: Status, tests: list[str], diff: str, line: int, function: str
) -> Mutant:
    return Mutant(
        id=f"id{n:04d}",
        name=f"{MOD}.{name}",
        target="download",
        file="py/services/downloader.py",
        line=line,
        function=function,
        status=status,
        diff=diff,
        tests=tests,
    )


def classified_run() -> RunResult:
    mutants = [
        mutant(
            1,
            "xǁDownloaderǁ_execute__mutmut_1",
            Status.KILLED,
            [T + "test_real"],
            "",
            80,
            "Downloader._execute",
        ),
        mutant(
            2,
            "xǁDownloaderǁ_execute__mutmut_2",
            Status.SURVIVED,
            [T + "test_real"],
            "-    retries = 3\n+    retries = 4\n",
            88,
            "Downloader._execute",
        ),
        mutant(
            3, "x_helper__mutmut_1", Status.NO_TESTS, [], "-    return a\n+    return None\n", 20, "helper"
        ),
        mutant(
            4,
            "xǁDownloaderǁsave__mutmut_1",
            Status.SURVIVED,
            [T + "test_save"],
            "-        self._write(path, data)\n+        self._write(None, data)\n",
            40,
            "Downloader.save",
        ),
        mutant(5, "x_other__mutmut_1", Status.NO_TESTS, [], "-    return a\n+    return None\n", 10, "other"),
    ]
    census = Census(
        tests=[T + "test_real", T + "test_save", T + "test_a", T + "test_b"],
        replacements=[
            Replacement(
                T + "test_a",
                f"{MOD}.Downloader._execute",
                "monkeypatch.setattr",
                "tests/services/test_dl.py:12",
            ),
            Replacement(
                T + "test_b",
                f"{MOD}.Downloader._execute",
                "monkeypatch.setattr",
                "tests/services/test_dl.py:12",
            ),
            Replacement(T + "test_a", f"{MOD}.helper", "patch", "tests/services/conftest.py:5"),
            Replacement(
                T + "test_save", f"{MOD}.Downloader._write", "patch.object", "tests/services/test_dl.py:50"
            ),
        ],
    )
    classify(mutants, census)
    return RunResult(mutants=mutants, target_floors={"download": 90})


def test_text_report_has_one_heading_per_cause_hidden_first_then_partly_weak_untested() -> None:
    text = render(classified_run(), "text")
    lines = text.splitlines()
    assert (
        lines[2] == "Surviving mutants (4): 1 hidden-by-mock, 1 partly-mocked, 1 weak-assertion, 1 untested"
    )
    sections = [line for line in lines if line and not line.startswith(" ") and "(" in line and ":" in line]
    assert sections[2:6] == [
        "Hidden by mocks: tests replace this code instead of running it (1)",
        "Partly mocked: tests run this code and still pass when it changes; other tests replace it (1)",
        "Weak assertions: tests run this code and still pass when it changes (1)",
        "Untested: no test runs or replaces this code (1)",
    ]
    hidden = lines.index(sections[2])
    assert lines[hidden + 1 : hidden + 10] == [
        "  py/services/downloader.py",
        "    `helper`: 1 mutant, 1 survives; run by 0 tests, replaced in 1",
        "      py/services/downloader.py:20  no-tests, hidden-by-mock  id id0003",
        "        - return a",
        "        + return None",
        "        no test runs this function",
        "        replaced in: tests/services/test_dl.py::test_a",
        "        replaced at: tests/services/conftest.py:5 patch py.services.downloader.helper",
        "        hint: `helper` is replaced in 1 test and run by none: test it directly",
    ]
    partly = lines.index(sections[3])
    assert lines[partly + 1 : partly + 10] == [
        "  py/services/downloader.py",
        "    `Downloader._execute`: 2 mutants, 1 survives; run by 1 test, replaced in 2",
        "      py/services/downloader.py:88  survived, partly-mocked  id id0002",
        "        - retries = 3",
        "        + retries = 4",
        "        run by: tests/services/test_dl.py::test_real",
        "        replaced in: tests/services/test_dl.py::test_a, tests/services/test_dl.py::test_b",
        "        replaced at: tests/services/test_dl.py:12 monkeypatch.setattr "
        "py.services.downloader.Downloader._execute (2 tests)",
        "        hint: replaced in 2 tests, run for real only by `test_real`, which passes with this change: "
        "assert what `_execute` does in `test_real`",
    ]
    assert "        mocks in those tests: tests/services/test_dl.py:50 patch.object " in text
    assert "        hint: assert on the arguments passed to the mock of `_write` in `test_save`" in text


def test_summary_counts_causes_per_target_and_overall() -> None:
    lines = render(classified_run(), "text").splitlines()
    target = next(i for i, line in enumerate(lines) if line.startswith("download  score"))
    assert (
        lines[target + 1].strip() == "causes: hidden-by-mock 1, partly-mocked 1, weak-assertion 1, untested 1"
    )
    overall = next(i for i, line in enumerate(lines) if line.startswith("overall"))
    assert (
        lines[overall + 1].strip()
        == "causes: hidden-by-mock 1, partly-mocked 1, weak-assertion 1, untested 1"
    )


def test_survivors_without_a_census_are_listed_without_a_cause() -> None:
    run = classified_run()
    for m in run.mutants:
        m.cause, m.mocks, m.replaced_in, m.hint = None, [], [], ""
    text = render(run, "text")
    assert "Without a cause (no mock census for this run) (4)" in text
    assert "causes:" not in text


def test_json_report_carries_the_evidence() -> None:
    data = json.loads(render(classified_run(), "json"))
    by_id = {m["id"]: m for m in data["mutants"]}
    assert by_id["id0002"]["cause"] == "partly-mocked"
    assert by_id["id0002"]["replaced_in"] == [T + "test_a", T + "test_b"]
    assert by_id["id0002"]["mocks"] == [
        {
            "test": T + "test_a",
            "target": f"{MOD}.Downloader._execute",
            "kind": "monkeypatch.setattr",
            "site": "tests/services/test_dl.py:12",
        },
        {
            "test": T + "test_b",
            "target": f"{MOD}.Downloader._execute",
            "kind": "monkeypatch.setattr",
            "site": "tests/services/test_dl.py:12",
        },
    ]
    assert data["summary"]["by_cause"] == {
        "hidden-by-mock": 1,
        "partly-mocked": 1,
        "untested": 1,
        "weak-assertion": 1,
    }


def test_a_partial_report_says_so_first_and_gives_no_verdict() -> None:
    run = classified_run()
    run.partial = True
    lines = render(run, "text").splitlines()
    assert lines[0] == (
        "gate: partial report: the run was interrupted; mutants without a verdict are listed as not checked"
    )
    assert not [line for line in lines if line.startswith(("gate: passed", "gate: FAILED", "overall"))]


def test_markdown_and_html_reports_of_a_partial_run_say_so_under_their_title() -> None:
    run = classified_run()
    run.partial = True
    note = "Partial report: the run was interrupted; mutants without a verdict are listed as not checked"
    assert f"> **{note}.**" in render(run, "markdown")
    assert f'<p class="warning" id="partial"><b>{note}</b></p>' in render(run, "html")
    run.partial = False
    assert note not in render(run, "markdown") and note not in render(run, "html")
