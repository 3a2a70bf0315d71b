"""The PR comment renderer: content, one survivor per line, folded tail under GitHub's limit, snapshot."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from gate.model import Cause, RunResult, Status
from gate.report.markdown import COMMENT_LIMIT, MARKER, code, esc, fenced, render_markdown, short_diff
from tests.gate.results_fixture import many_survivors, mutant, pr_result


class MarkdownSnapshot(SingleFileSnapshotExtension):
    file_extension = "md"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def md_snapshot(snapshot):
    return snapshot.use_extension(MarkdownSnapshot)


@dataclass
class Verdict:
    passed: bool
    failures: list[str] = field(default_factory=list)


URL = "https://github.com/acme/models/actions/runs/42"


def test_pr_comment_snapshot(md_snapshot):
    text = render_markdown(
        pr_result(),
        report_url=URL,
        verdict=Verdict(False, ["5 survivors on the changed lines, at most 0 allowed (`max_new_survivors`)"]),
    )
    assert text == md_snapshot


def test_full_run_snapshot(md_snapshot):
    result = pr_result()
    result.selection = "all"
    assert render_markdown(
        result, verdict=Verdict(False, ["download: 44.4% is under its floor of 90.0%"])
    ) == (md_snapshot)


def test_summary_comes_first_with_marker_score_and_causes():
    text = render_markdown(pr_result(), report_url=URL)
    assert text.startswith(MARKER + "\n### Mutation testing of the changed lines\n")
    summary = text.split("#### Survivors on the changed lines")[0]
    assert "**Score on the changed lines: 44.4%**: 4 of 9 mutants killed or timed out, 5 survivors" in summary
    assert "| hidden by mock | 1 |\n| partly mocked | 1 |\n| weak assertion | 3 |" in summary
    assert f"[Full report]({URL})" in summary
    assert "1 mutant accepted as equivalent" in summary
    assert "1 flaky mutant (survived in the batch, killed when re-run alone)" in summary


def test_one_survivor_per_line_with_the_count_of_the_others():
    text = render_markdown(pr_result())
    assert text.count("**Line 15**") == 1
    assert "- 2 more mutants on this line also survive" in text
    assert "`0000000004`" in text  # the first by name is the one shown
    assert "`0000000005`" not in text and "`0000000006`" not in text


def test_each_survivor_has_line_cause_diff_tests_and_hint():
    text = render_markdown(pr_result())
    block = text.split("**Line 15**")[1].split("</details>")[0]
    assert " · `retry_delay` · weak assertion · " in block
    assert "```diff\n def retry_delay(attempt, base=0.5):\n" in block
    assert "-    return base * 2 ** attempt\n+    return base / 2 ** attempt\n```" in block
    assert "@@" not in block and "+++" not in block
    assert (
        "- Run by `tests/services/test_downloader.py::test_retry_0`, `tests/services/test_downloader.py::test_retry_1`,"
        " `tests/services/test_downloader.py::test_retry_2` and 2 more" in block
    )
    assert "- What to do: Assert the exact delay: `retry_delay(2)` must return `2.0`." in block


def test_flaky_and_accepted_mutants_are_not_listed_as_survivors():
    text = render_markdown(pr_result())
    assert "**Line 16**" not in text  # flaky: killed when re-run alone
    assert "**Line 50**" not in text  # accepted


def test_survivors_are_grouped_in_folded_file_sections():
    text = render_markdown(many_survivors(12, files=3))
    assert text.count("<details>") == 3 and text.count("</details>") == 3
    assert "<summary><code>py/services/module_00.py</code>: 4 survivors</summary>" in text


def test_no_mutants_possible_says_so_plainly():
    result = RunResult(
        mutants=[],
        selection="changed-lines",
        scope={"description": "the change touches only tests (1 file)"},
    )
    text = render_markdown(result, verdict=Verdict(True))
    assert text == (
        f"{MARKER}\n### Mutation testing of the changed lines: ✅ passed\n\n"
        "No mutants were possible on the changed lines: the change touches only tests (1 file).\n"
    )


def test_all_killed_says_so_plainly():
    result = RunResult(
        mutants=[mutant(1, 3, Status.KILLED), mutant(2, 4, Status.TIMEOUT)],
        selection="changed-lines",
        scope={"description": "2 changed lines in 1 target file since main (abc)"},
    )
    text = render_markdown(result, verdict=Verdict(True))
    assert "**All 2 mutants on the changed lines were killed** (score 100.0%)." in text
    assert "####" not in text and "<details" not in text


def test_two_thousand_survivors_fold_under_the_limit_with_an_exact_count():
    result = many_survivors(2000)
    text = render_markdown(result, report_url=URL)

    assert len(text) <= COMMENT_LIMIT
    shown_lines = len(re.findall(r"^\*\*Line \d+\*\*", text, flags=re.M))
    match = re.search(r"\*\*(\d+) more survivors in the \[full report\]\((.+?)\)\.\*\*\n$", text)
    assert match is not None and match.group(2) == URL
    # Every file/line pair holds one survivor here, so shown + folded accounts for all 2,000.
    assert shown_lines + int(match.group(1)) == 2000
    assert shown_lines > 50
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```diff") * 2 == len(re.findall(r"^```", text, flags=re.M))


@pytest.mark.parametrize("limit", [3_000, 10_000, 40_000])
def test_any_limit_is_respected(limit):
    text = render_markdown(many_survivors(300), limit=limit)
    assert len(text) <= limit
    assert re.search(r"\*\*\d+ more survivors in the full report\.\*\*\n$", text)


def test_the_full_run_summary_has_one_row_per_target():
    result = RunResult(
        mutants=[
            mutant(1, 3, Status.KILLED, target="cache"),
            mutant(2, 4, Status.SURVIVED, Cause.UNTESTED, target="cache"),
            mutant(3, 5, Status.KILLED, target="download"),
        ],
        target_floors={"cache": 80.0, "download": None, "lifecycle": None},
        fail_under=85.0,
    )
    text = render_markdown(result)
    assert text.startswith(f"{MARKER}\n### Mutation testing: 66.7% (floor 85.0%)\n")
    assert "| cache | 50.0% | 80.0% | 1 | 1 | 0 | 0 | 2 |" in text
    assert "| download | 100.0% | - | 1 | 0 | 0 | 0 | 1 |" in text
    assert "| lifecycle | n/a | - | 0 | 0 | 0 | 0 | 0 |" in text
    assert "#### Survivors by file" in text


def test_backticks_in_names_and_diffs_cannot_break_the_markup():
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert fenced("x = '```'", "diff") == "````diff\nx = '```'\n````"
    assert esc("use <b>__init__</b> and `a_b`") == "use &lt;b&gt;\\_\\_init\\_\\_&lt;/b&gt; and `a_b`"
    assert short_diff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n") == "-x\n+y"


def test_changed_lines_without_mutable_code_say_why_nothing_was_tested():
    result = RunResult(
        mutants=[],
        selection="changed-lines",
        scope={
            "files": {"py/a.py": [[3, 4]]},
            "description": "2 changed lines in 1 target file since main (abc)",
        },
    )
    assert (
        "No mutants were possible on the 2 changed lines in 1 target file since main (abc): no mutable code"
        in (render_markdown(result))
    )
