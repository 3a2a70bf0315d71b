"""Config parsing: [tool.gate] schema, targets, and the checks against mutmut's settings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gate.config import DEFAULT_TIMEOUT_MULTIPLIER, load_config
from gate.exit_code import ConfigError, ExitCode

SETUP_CFG = """\
[mutmut]
source_paths =
    pkg
pytest_add_cli_args_test_selection =
    tests
"""


def _project(
    tmp_path: Path, gate: str, setup_cfg: str = SETUP_CFG, files: tuple[str, ...] = ("pkg/a.py",)
) -> Path:
    for name in ("pkg/__init__.py", *files, "tests/test_a.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (tmp_path / "setup.cfg").write_text(setup_cfg)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(gate))
    return tmp_path


def _error(tmp_path: Path, gate: str, **kwargs: object) -> str:
    _project(tmp_path, gate, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.exit_code == ExitCode.USAGE
    assert "\n" not in str(info.value)
    return str(info.value)


def test_list_and_table_targets_with_floors(tmp_path: Path) -> None:
    _project(
        tmp_path,
        """
        [tool.gate]
        fail_under = 85
        tests = ["tests"]
        [tool.gate.targets]
        first = ["pkg/a.py"]
        [tool.gate.targets.second]
        paths = ["pkg/b*.py"]
        fail_under = 90.5
        [tool.gate.pr]
        max_new_survivors = 2
        fail_under = 70
        """,
        files=("pkg/a.py", "pkg/b1.py", "pkg/b2.py"),
    )
    config = load_config(tmp_path)
    assert config.fail_under == 85
    assert config.tests == ("tests",)
    assert config.targets["first"].files == ("pkg/a.py",)
    assert config.targets["first"].fail_under is None
    assert config.targets["second"].files == ("pkg/b1.py", "pkg/b2.py")
    assert config.targets["second"].fail_under == 90.5
    assert config.value("pr.max_new_survivors") == 2
    assert config.value("pr.fail_under") == 70
    assert config.target_of("pkg/b2.py") == "second"
    assert config.target_files() == ["pkg/a.py", "pkg/b1.py", "pkg/b2.py"]
    assert config.mutatable_files() == ["pkg/__init__.py", "pkg/a.py", "pkg/b1.py", "pkg/b2.py"]
    assert config.warnings == ()


def test_defaults_when_keys_are_absent(tmp_path: Path) -> None:
    _project(tmp_path, '[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    config = load_config(tmp_path)
    assert config.fail_under is None
    assert config.max_children is None
    assert config.value("pr.max_new_survivors") == 0
    assert config.timeout_multiplier == DEFAULT_TIMEOUT_MULTIPLIER


def test_mutmut_timeout_wins_and_a_conflicting_gate_timeout_is_an_error(tmp_path: Path) -> None:
    cfg = SETUP_CFG + "timeout_multiplier = 4.0\n"
    _project(tmp_path, '[tool.gate.targets]\nt = ["pkg/a.py"]\n', setup_cfg=cfg)
    assert load_config(tmp_path).timeout_multiplier == 4.0
    message = _error(
        tmp_path,
        '[tool.gate]\ntimeout_multiplier = 2\n[tool.gate.targets]\nt = ["pkg/a.py"]\n',
        setup_cfg=cfg,
    )
    assert "timeout_multiplier = 2 conflicts with setup.cfg [mutmut] timeout_multiplier = 4.0" in message


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    message = _error(tmp_path, '[tool.gate]\nfail_undr = 80\n[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    assert message.startswith("pyproject.toml: [tool.gate] unknown key 'fail_undr'")


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (
            '[tool.gate]\nfail_under = "high"\n',
            "[tool.gate] fail_under: expected a percentage between 0 and 100, got 'high'",
        ),
        ("[tool.gate]\nfail_under = 120\n", "fail_under: expected a percentage between 0 and 100, got 120"),
        ('[tool.gate]\ntests = "tests"\n', "[tool.gate] tests: expected a list of paths, got 'tests'"),
        ("[tool.gate]\nmax_children = 0\n", "max_children: expected a positive integer, got 0"),
        (
            "[tool.gate.pr]\nmax_new_survivors = -1\n",
            "[tool.gate.pr] max_new_survivors: expected an integer >= 0, got -1",
        ),
        ("[tool.gate.pr]\nmax_new_survivor = 1\n", "[tool.gate.pr] unknown key 'max_new_survivor'"),
        (
            '[tool.gate]\nskip_noise = ["logs"]\n',
            "[tool.gate] skip_noise: expected true, false or a list of 'logging', 'docstrings', 'repr', "
            "got ['logs']",
        ),
        (
            '[tool.gate]\nskip_noise = "repr"\n',
            "[tool.gate] skip_noise: expected true, false or a list of 'logging', 'docstrings', 'repr', "
            "got 'repr'",
        ),
        ('[tool.gate]\nwitnesses = "yes"\n', "[tool.gate] witnesses: expected true or false, got 'yes'"),
        ("[tool.gate]\nwitness_budget = -5\n", "witness_budget: expected a number of seconds >= 0, got -5"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, gate: str, expected: str) -> None:
    message = _error(tmp_path, gate + '[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    assert message.startswith("pyproject.toml: ")
    assert expected in message


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ('t = ["pkg/nomatch_*.py"]', "[tool.gate.targets] t: 'pkg/nomatch_*.py' matches no Python file"),
        ('t = ["nodir/a.py"]', "'nodir/a.py' does not exist (nor does its directory nodir/)"),
        ("t = []", "[tool.gate.targets] t: lists no files"),
        ('t = "pkg/a.py"', "expected a list of paths or a table"),
        (
            '[tool.gate.targets.t]\nfloor = 3\npaths = ["pkg/a.py"]',
            "[tool.gate.targets] t: unknown key 'floor'",
        ),
        ("[tool.gate.targets.t]\nfail_under = 90", "the table form needs paths = [...]"),
        (
            't = ["tests/test_a.py"]',
            "tests/test_a.py is outside mutmut's source_paths (pkg, from setup.cfg [mutmut])",
        ),
    ],
)
def test_bad_targets(tmp_path: Path, targets: str, expected: str) -> None:
    header = "" if targets.startswith("[") else "[tool.gate.targets]\n"
    message = _error(tmp_path, header + targets + "\n")
    assert expected in message


def test_missing_target_file_in_an_existing_directory_is_a_warning(tmp_path: Path) -> None:
    _project(
        tmp_path, '[tool.gate.targets]\nt = ["pkg/a.py", "pkg/being_written.py"]\nu = ["pkg/later.py"]\n'
    )
    config = load_config(tmp_path)
    assert config.targets["t"].files == ("pkg/a.py",)
    assert config.targets["t"].missing == ("pkg/being_written.py",)
    assert config.targets["u"].files == ()
    assert config.warnings == (
        "target t: pkg/being_written.py not found (yet); skipped",
        "target u: pkg/later.py not found (yet); skipped",
    )


def test_excluded_file_is_dropped_with_a_warning(tmp_path: Path) -> None:
    cfg = SETUP_CFG + "do_not_mutate =\n    pkg/a.py\n"
    _project(
        tmp_path, '[tool.gate.targets]\nt = ["pkg/*.py"]\n', setup_cfg=cfg, files=("pkg/a.py", "pkg/b.py")
    )
    config = load_config(tmp_path)
    assert config.targets["t"].files == ("pkg/__init__.py", "pkg/b.py")
    assert any("pkg/a.py is excluded by setup.cfg [mutmut]" in w for w in config.warnings)


def test_tool_mutmut_in_pyproject_wins_over_setup_cfg(tmp_path: Path) -> None:
    _project(
        tmp_path,
        '[tool.mutmut]\nsource_paths = ["pkg"]\ntimeout_multiplier = 7\n[tool.gate.targets]\nt = ["pkg/a.py"]\n',
        setup_cfg="[mutmut]\nsource_paths =\n    elsewhere\n",
    )
    config = load_config(tmp_path)
    assert config.mutmut.origin == "pyproject.toml [tool.mutmut]"
    assert config.timeout_multiplier == 7


def test_tool_mutmut_string_source_paths_is_an_error(tmp_path: Path) -> None:
    message = _error(tmp_path, '[tool.mutmut]\nsource_paths = "pkg"\n[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    assert "pyproject.toml [tool.mutmut]: source_paths: expected a TOML list of strings, got 'pkg'" in message


def test_test_selection_running_tests_the_gate_does_not_hash_is_an_error(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        '[tool.gate]\ntests = ["tests/unit"]\n[tool.gate.targets]\nt = ["pkg/a.py"]\n',
    )
    assert (
        "pytest_add_cli_args_test_selection runs tests, which [tool.gate] tests in pyproject.toml does not list"
        in message
    )


def test_missing_gate_table_and_invalid_toml(tmp_path: Path) -> None:
    assert "no [tool.gate] table" in _error(tmp_path, "[project]\nname = 'x'\n")
    assert "invalid TOML" in _error(tmp_path, "[tool.gate\n")


def test_this_repository_config_loads() -> None:
    config = load_config(Path(__file__).resolve().parents[2])
    assert set(config.targets) >= {"download", "cache", "lifecycle"}
    assert config.fail_under == 85
    assert config.mutmut.source_paths == ("py",)


def test_gate_table_alone_is_handed_to_mutmut(tmp_path: Path) -> None:
    _project(
        tmp_path,
        """
        [tool.gate]
        source_paths = ["pkg"]
        tests = ["tests"]
        also_copy = ["conftest.py"]
        do_not_mutate = ["pkg/__init__.py"]
        [tool.gate.targets]
        t = ["pkg/*.py"]
        """,
        setup_cfg="",
    )
    config = load_config(tmp_path)
    assert config.mutmut.source_paths == ("pkg",)
    assert config.mutmut.source_origin == "pyproject.toml [tool.gate]"
    assert config.mutmut.test_selection == ("tests",)
    assert config.targets["t"].files == ("pkg/a.py",)
    assert config.warnings == (
        "target t: pkg/__init__.py is excluded by pyproject.toml [tool.gate] (only_mutate/do_not_mutate)",
    )
    assert config.mutmut.handed == {
        "source_paths": ["pkg"],
        "pytest_add_cli_args_test_selection": ["tests"],
        "also_copy": ["conftest.py"],
        "do_not_mutate": ["pkg/__init__.py"],
        "pytest_add_cli_args": ["-n", "0"],  # pytest-xdist is installed with the gate's tests
    }


def test_setup_cfg_settings_are_not_handed_again(tmp_path: Path) -> None:
    _project(tmp_path, '[tool.gate]\ntests = ["tests"]\n[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    assert load_config(tmp_path).mutmut.handed == {"pytest_add_cli_args": ["-n", "0"]}


@pytest.mark.parametrize(
    ("mutmut_section", "setup_cfg", "expected"),
    [
        (
            "",
            SETUP_CFG,
            'pyproject.toml [tool.gate]: source_paths = ["lib"] conflicts with setup.cfg [mutmut] '
            "source_paths = pkg; set it in one place",
        ),
        (
            '[tool.mutmut]\nsource_paths = ["pkg"]\n',
            "",
            'pyproject.toml [tool.gate]: source_paths = ["lib"] conflicts with pyproject.toml [tool.mutmut] '
            'source_paths = ["pkg"]; set it in one place',
        ),
    ],
)
def test_a_conflict_shows_each_file_in_its_own_syntax(
    tmp_path: Path, mutmut_section: str, setup_cfg: str, expected: str
) -> None:
    (tmp_path / "lib").mkdir()
    gate = mutmut_section + '[tool.gate]\nsource_paths = ["lib"]\n[tool.gate.targets]\nt = ["pkg/a.py"]\n'
    assert _error(tmp_path, gate, setup_cfg=setup_cfg) == expected


def test_source_paths_set_nowhere(tmp_path: Path) -> None:
    assert _error(tmp_path, '[tool.gate.targets]\nt = ["pkg/a.py"]\n', setup_cfg="") == (
        "pyproject.toml [tool.gate]: source_paths is not set (nor in mutmut defaults); the gate needs it "
        'explicit, e.g. source_paths = ["src"], because mutmut\'s guess depends on the directory name'
    )


@pytest.mark.parametrize(
    ("setting", "kinds"),
    [
        ("", ("logging", "docstrings", "repr")),
        ("skip_noise = true\n", ("logging", "docstrings", "repr")),
        ("skip_noise = false\n", ()),
        ('skip_noise = ["repr", "logging"]\n', ("repr", "logging")),
        ("skip_noise = []\n", ()),
    ],
)
def test_skip_noise_defaults_to_every_kind(tmp_path: Path, setting: str, kinds: tuple[str, ...]) -> None:
    _project(tmp_path, f'[tool.gate]\n{setting}[tool.gate.targets]\nt = ["pkg/a.py"]\n')
    assert load_config(tmp_path).noise_kinds == kinds


@pytest.mark.parametrize(
    ("configured", "option", "expected"),
    [(None, None, "cores + 1"), (5, None, 5), (5, 3, 3), (None, 1, 1)],
    ids=["default", "configured", "option over configured", "option"],
)
def test_the_number_of_workers(
    tmp_path: Path, configured: int | None, option: int | None, expected: int | str
) -> None:
    import os

    from gate.mutmut.process import children

    setting = "" if configured is None else f"max_children = {configured}"
    _project(tmp_path, f'[tool.gate]\n{setting}\n[tool.gate.targets]\nall = ["pkg/a.py"]\n')
    cores = os.cpu_count()
    assert cores is not None
    want = cores + 1 if expected == "cores + 1" else expected
    assert children(load_config(tmp_path), option) == want
