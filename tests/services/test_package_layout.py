"""The `py` package resolves to this repository, not to pytest's legacy `py` module."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import py

REPO = Path(__file__).resolve().parents[2]


def test_py_is_this_repositorys_package() -> None:
    assert Path(py.__file__).resolve() == REPO / "py" / "__init__.py"
    assert [Path(p).resolve() for p in py.__path__] == [REPO / "py"]


@pytest.mark.parametrize("name", ["py.services", "py.utils", "py.utils.file_utils"])
def test_subpackages_resolve_to_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().is_relative_to(REPO / "py")


def test_legacy_py_path_is_forwarded_to_pytests_module() -> None:
    # pytest's own code reads py.path.local; the package forwards it.
    from _pytest._py.path import LocalPath

    assert py.path.local is LocalPath


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        py.no_such_name  # noqa: B018


def test_py_is_not_installed_in_site_packages() -> None:
    import site

    for directory in [*site.getsitepackages(), site.getusersitepackages()]:
        assert not (Path(directory) / "py" / "__init__.py").exists()


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "pytest"],
        # What the `pytest` console script does: the script's directory, not the
        # working directory, heads sys.path (-P), so pytest imports its own `py` first.
        [sys.executable, "-P", "-c", "import sys, pytest; sys.exit(pytest.console_main())"],
    ],
    ids=["python-m-pytest", "pytest-script"],
)
def test_pytest_commands_import_py_from_the_repository(command: list[str], tmp_path: Path) -> None:
    probe = REPO / "tests" / "services" / "test_package_layout.py"
    result = subprocess.run(
        [*command, "-q", "-p", "no:cacheprovider", f"{probe}::test_py_is_this_repositorys_package"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
