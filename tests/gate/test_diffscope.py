"""Diff scoping on real git repositories: changed ranges, merge bases, renames, deletions, tests-only diffs."""

from __future__ import annotations

import pytest

from gate.exit_code import ConfigError, ExitCode
from gate.pr.diffscope import changed_lines, is_test_path, parse_diff
from tests.gate.git_helpers import GitRepo

TEN = "".join(f"line{i}\n" for i in range(1, 11))


@pytest.fixture
def repo(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("py/core.py", TEN)
    repo.write("py/other.py", "a = 1\nb = 2\n")
    repo.write("tests/test_core.py", "def test_x():\n    assert True\n")
    repo.commit("base")
    repo.branch("feature")
    return repo


def test_modified_and_appended_lines_give_exact_new_side_ranges(repo):
    lines = TEN.splitlines()
    lines[2] = "changed3"
    lines[6] = "changed7"
    lines[7] = "changed8"
    lines.append("line11")
    repo.write("py/core.py", "\n".join(lines) + "\n")
    repo.commit("edit")

    scope = changed_lines(repo.root, "main")

    assert list(scope.files) == ["py/core.py"]
    assert scope.files["py/core.py"].ranges == [(3, 3), (7, 8), (11, 11)]
    assert scope.files["py/core.py"].status == "modified"
    assert scope.contains("py/core.py", 7) and not scope.contains("py/core.py", 6)
    assert not scope.contains("py/other.py", 1)
    assert scope.line_count == 4
    assert scope.describe().startswith("4 changed lines in 1 target file since main")


def test_base_moving_on_after_the_branch_does_not_count_as_change(repo):
    repo.write("py/core.py", TEN.replace("line2\n", "feature2\n"))
    repo.commit("feature edit")
    repo.git("checkout", "-q", "main")
    repo.write("py/other.py", "a = 10\nb = 20\nc = 30\n")
    main_head = repo.commit("main moves on")
    repo.git("checkout", "-q", "feature")

    scope = changed_lines(repo.root, "main")

    assert set(scope.files) == {"py/core.py"}
    assert scope.files["py/core.py"].ranges == [(2, 2)]
    assert scope.merge_base != main_head
    assert scope.merge_base == repo.git("rev-parse", "feature~1").strip()


def test_uncommitted_edits_and_untracked_files_are_part_of_the_change(repo):
    repo.write("py/core.py", TEN.replace("line5\n", "five\n"))
    repo.write("py/fresh.py", "x = 1\ny = 2\nz = 3\n")

    scope = changed_lines(repo.root, "main")

    assert scope.files["py/core.py"].ranges == [(5, 5)]
    assert scope.files["py/fresh.py"].ranges == [(1, 3)]
    assert scope.files["py/fresh.py"].status == "added"


def test_rename_with_an_edit_keeps_only_the_edited_line_under_the_new_path(repo):
    repo.git("mv", "py/core.py", "py/renamed.py")
    repo.write("py/renamed.py", TEN.replace("line9\n", "nine\n"))
    repo.commit("rename and edit")

    scope = changed_lines(repo.root, "main")

    change = scope.files["py/renamed.py"]
    assert (change.status, change.old_path, change.ranges) == ("renamed", "py/core.py", [(9, 9)])
    assert "py/core.py" not in scope.files
    assert scope.to_json()["renamed"] == {"py/renamed.py": "py/core.py"}


def test_pure_rename_selects_no_lines(repo):
    repo.git("mv", "py/core.py", "py/moved.py")
    repo.commit("rename only")

    scope = changed_lines(repo.root, "main")

    assert scope.files == {}
    assert scope.describe() == "no target file changed since main"


def test_deleted_file_selects_nothing_and_is_listed(repo):
    repo.git("rm", "-q", "py/other.py")
    repo.commit("delete")

    scope = changed_lines(repo.root, "main")

    assert scope.files == {}
    assert scope.deleted == ["py/other.py"]
    assert scope.describe() == "the change only deletes target code (1 file)"


def test_deleting_lines_inside_a_file_adds_no_range(repo):
    repo.write("py/core.py", TEN.replace("line4\nline5\n", ""))
    repo.commit("drop two lines")

    scope = changed_lines(repo.root, "main")

    assert scope.files == {}


def test_a_change_only_in_tests_selects_no_mutants_and_says_so(repo):
    repo.write("tests/test_core.py", "def test_x():\n    assert 1 + 1 == 2\n")
    repo.write("tests/conftest.py", "import pytest\n")
    repo.commit("stronger test")

    scope = changed_lines(repo.root, "main")

    assert scope.files == {}
    assert scope.tests_only
    assert scope.tests_changed == ["tests/conftest.py", "tests/test_core.py"]
    assert scope.describe() == "the change touches only tests (2 files)"


def test_targets_limit_the_scope_and_other_files_are_listed_apart(repo):
    repo.write("py/core.py", TEN.replace("line1\n", "one\n"))
    repo.write("py/other.py", "a = 5\nb = 2\n")
    repo.write("README.md", "hello\n")
    repo.commit("two files")

    scope = changed_lines(repo.root, "main", targets=["py/other.py"])

    assert list(scope.files) == ["py/other.py"]
    assert scope.files["py/other.py"].ranges == [(1, 1)]
    assert scope.other_changed == ["README.md", "py/core.py"]
    assert not scope.tests_only


def test_paths_with_spaces_and_non_ascii_characters(repo):
    repo.write("py/my file é.py", "a = 1\nb = 2\n")
    repo.commit("odd name")
    repo.write("py/my file é.py", "a = 1\nb = 3\n")

    scope = changed_lines(repo.root, "HEAD~1")

    assert scope.files["py/my file é.py"].ranges == [(1, 2)]
    scope_head = changed_lines(repo.root, "HEAD")
    assert scope_head.files["py/my file é.py"].ranges == [(2, 2)]


def test_unknown_base_is_a_usage_error_naming_the_ref(repo):
    with pytest.raises(ConfigError) as caught:
        changed_lines(repo.root, "origin/nope")
    assert caught.value.exit_code == ExitCode.USAGE
    assert "unknown base ref 'origin/nope'" in str(caught.value)


def test_unrelated_history_is_a_usage_error(repo):
    repo.git("checkout", "-q", "--orphan", "lonely")
    repo.commit("unrelated root")
    repo.git("checkout", "-q", "feature")
    with pytest.raises(ConfigError, match="no common ancestor"):
        changed_lines(repo.root, "lonely")


def test_parse_diff_reads_quoted_paths_and_zero_length_hunks():
    text = (
        'diff --git "a/py/tab\\there.py" "b/py/tab\\there.py"\n'
        "index 1..2 100644\n"
        '--- "a/py/tab\\there.py"\n'
        '+++ "b/py/tab\\there.py"\n'
        "@@ -3,0 +4,2 @@\n"
        "+x\n+y\n"
        "@@ -7 +9 @@\n"
        "-a\n+b\n"
        "@@ -12,2 +13,0 @@\n"
        "-c\n-d\n"
    )
    (change,) = parse_diff(text)
    assert change.path == "py/tab\there.py"
    assert change.ranges == [(4, 5), (9, 9)]


def test_is_test_path_recognises_pytest_files_and_configured_roots():
    assert is_test_path("tests/services/test_a.py")
    assert is_test_path("py/conftest.py")
    assert is_test_path("checks/a.py", ["checks"])
    assert not is_test_path("py/services/testing_utils.py")
    assert not is_test_path("py/services/downloader.py", ["tests/services"])
