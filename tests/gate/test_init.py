"""gate init: what it detects on each project shape, the exact edit it plans, and the command end to end."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gate.exit_code import ConfigError, ExitCode
from gate.init import FLOOR_COMMENT, PytestConfig, detect, find_pytest_config, plan, propose_targets


def _files(root: Path, *names: str, text: str = "") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_src_layout(tmp_path: Path) -> None:
    _files(
        tmp_path, "src/shop/__init__.py", "src/shop/price.py", "src/shop/io/disk.py", "tests/test_price.py"
    )
    layout = detect(tmp_path)
    assert layout.source_paths == ("src",)
    assert layout.packages == ("src/shop",)
    assert layout.tests == ("tests",)
    assert layout.pytest == PytestConfig(origin="")
    assert propose_targets(tmp_path, layout) == {"shop": ["src/shop/*.py", "src/shop/io/*.py"]}
    assert propose_targets(tmp_path, layout, per="module") == {
        "price": ["src/shop/price.py"],
        "io.disk": ["src/shop/io/disk.py"],
    }


def test_several_flat_packages_a_namespace_one_tests_inside_and_a_root_conftest(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "alpha/__init__.py",
        "alpha/a.py",
        "alpha/tests/test_a.py",
        "nsp/plug/core.py",  # namespace package: no __init__.py anywhere
        "docs/conf.py",
        ".venv/lib/x.py",
        "conftest.py",
    )
    layout = detect(tmp_path)
    assert layout.source_paths == ("alpha", "nsp")
    assert layout.tests == ("alpha/tests",)
    assert layout.also_copy == ("conftest.py",)
    assert layout.do_not_mutate == ("alpha/tests/*",)
    assert propose_targets(tmp_path, layout) == {"alpha": ["alpha/*.py"], "nsp": ["nsp/plug/*.py"]}


def test_no_package_is_one_line_error(tmp_path: Path) -> None:
    _files(tmp_path, "tests/test_x.py")
    with pytest.raises(ConfigError, match=r"no Python package found \(looked in src/ and at the top level\)"):
        detect(tmp_path)


@pytest.mark.parametrize(
    ("file", "text", "origin"),
    [
        ("pytest.ini", "[pytest]\ntestpaths = checks\naddopts = -n auto\n", "pytest.ini [pytest]"),
        ("tox.ini", "[pytest]\ntestpaths = checks\naddopts = -n auto\n", "tox.ini [pytest]"),
        ("setup.cfg", "[tool:pytest]\ntestpaths = checks\naddopts = -n auto\n", "setup.cfg [tool:pytest]"),
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\ntestpaths = ["checks"]\naddopts = "-n auto"\n',
            "pyproject.toml [tool.pytest.ini_options]",
        ),
    ],
)
def test_where_pytest_is_configured(tmp_path: Path, file: str, text: str, origin: str) -> None:
    _files(tmp_path, file, text=text)
    assert find_pytest_config(tmp_path) == PytestConfig(
        origin=origin, testpaths=("checks",), addopts="-n auto"
    )


def test_pytest_ini_wins_like_in_pytest(tmp_path: Path) -> None:
    _files(tmp_path, "pytest.ini", text="[pytest]\n")
    _files(tmp_path, "setup.cfg", text="[tool:pytest]\ntestpaths = other\n")
    assert find_pytest_config(tmp_path).origin == "pytest.ini [pytest]"


USER_PYPROJECT = """\
# Our project
[project]
name = "shop"   # keep this spacing

[tool.gate]
lock_wait = 5  # CI waits for the nightly run
"""


def _shop(tmp_path: Path, pyproject: str = USER_PYPROJECT) -> None:
    _files(tmp_path, "src/shop/__init__.py", "src/shop/price.py", "tests/test_price.py")
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def test_plan_keeps_the_users_text_and_adds_the_gate_keys(tmp_path: Path) -> None:
    _shop(tmp_path)
    layout = detect(tmp_path)
    edit = plan(tmp_path, layout, propose_targets(tmp_path, layout))
    assert edit.new_text == USER_PYPROJECT + textwrap.dedent(
        f"""\
        # {FLOOR_COMMENT}
        fail_under = 0
        source_paths = ["src"]
        tests = ["tests"]

        [tool.gate.targets]
        shop = ["src/shop/*.py"]
        """
    )
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == USER_PYPROJECT  # nothing written yet
    assert "+fail_under = 0\n" in edit.diff()
    assert edit.diff().startswith("--- pyproject.toml (now)\n+++ pyproject.toml (after gate init)\n")


def test_a_conflicting_key_names_file_and_key_unless_overwrite(tmp_path: Path) -> None:
    _shop(tmp_path, USER_PYPROJECT + 'tests = ["spec"]\nfail_under = 72\n')
    layout = detect(tmp_path)
    with pytest.raises(ConfigError) as info:
        plan(tmp_path, layout, {})
    assert str(info.value) == (
        "pyproject.toml: [tool.gate] tests is already set to ['spec']; init would write ['tests'] "
        "(edit it by hand, or pass --overwrite)"
    )
    assert info.value.exit_code == ExitCode.USAGE
    edit = plan(tmp_path, layout, {}, overwrite=True)
    assert 'tests = ["tests"]\nfail_under = 72\n' in edit.new_text  # the user's floor stays
    assert "[tool.gate] fail_under (already set)" in edit.kept


def test_mutmut_settings_of_the_user_are_used_not_copied(tmp_path: Path) -> None:
    _shop(tmp_path, "[project]\nname = 'shop'\n")
    _files(tmp_path, "setup.cfg", text="[mutmut]\nsource_paths =\n    src\n")
    layout = detect(tmp_path)
    edit = plan(tmp_path, layout, propose_targets(tmp_path, layout))
    assert "source_paths" not in edit.new_text
    assert edit.kept == ["setup.cfg [mutmut] source_paths (mutmut's own setting, used as is)"]


def _gate(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        cwd=root,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
    )


def test_declined_writes_nothing_and_conflict_is_one_line(tmp_path: Path) -> None:
    _shop(tmp_path)
    proc = _gate(tmp_path, "init", "--no-doctor", stdin="n\n")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[:3] == [
        "source: src/shop (mutated: src)",
        "tests: tests",
        "pytest configured in: no file (pytest defaults)",
    ]
    assert proc.stdout.splitlines()[-1].endswith("nothing written")
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == USER_PYPROJECT
    (tmp_path / "pyproject.toml").write_text(USER_PYPROJECT + 'source_paths = ["lib"]\n', encoding="utf-8")
    proc = _gate(tmp_path, "init", "--yes")
    assert proc.returncode == 2
    assert proc.stderr == (
        "gate: error: pyproject.toml: [tool.gate] source_paths is already set to ['lib']; "
        "init would write ['src'] (edit it by hand, or pass --overwrite)\n"
    )


def test_confirmed_writes_and_a_project_without_pyproject_gets_one(tmp_path: Path) -> None:
    _files(tmp_path, "shop/__init__.py", "shop/price.py", "tests/test_price.py")
    proc = _gate(tmp_path, "init", "--no-doctor", stdin="y\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "Write pyproject.toml? [y/N]: wrote pyproject.toml"
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == textwrap.dedent(
        f"""\
        [tool.gate]
        # {FLOOR_COMMENT}
        fail_under = 0
        source_paths = ["shop"]
        tests = ["tests"]

        [tool.gate.targets]
        shop = ["shop/*.py"]
        """
    )
    again = _gate(tmp_path, "init", "--yes", "--no-doctor")
    assert again.returncode == 0, again.stderr
    assert "pyproject.toml already holds this configuration: nothing to write" in again.stdout.splitlines()
