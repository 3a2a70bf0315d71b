"""A small real project for `gate pr`: a git history with a base branch and a feature change.

The package is `shop/` with one target file; its tests live in `tests/`. mutmut runs on it for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.gate.git_helpers import GitRepo

BASE_SOURCE = """\
def add(a, b):
    return a + b
"""
FEATURE_SOURCE = (
    BASE_SOURCE
    + """

def is_adult(age):
    return age >= 18
"""
)
BASE_TESTS = """\
from shop.prices import add


def test_add():
    assert add(2, 3) == 5
"""
WEAK_TESTS = (
    BASE_TESTS
    + """

def test_is_adult():
    from shop.prices import is_adult

    assert is_adult(30)
"""
)
STRONG_TESTS = (
    BASE_TESTS
    + """

def test_is_adult():
    from shop.prices import is_adult

    assert is_adult(18) is True
    assert is_adult(17) is False
"""
)
PYPROJECT = """\
[project]
name = "shop"
version = "0"

[tool.gate]
fail_under = 80
tests = ["tests"]
max_children = 2

[tool.gate.targets]
prices = ["shop/prices.py"]

[tool.gate.pr]
max_new_survivors = 0
"""
SETUP_CFG = """\
[mutmut]
source_paths =
    shop
pytest_add_cli_args_test_selection =
    tests
timeout_multiplier = 3.0
use_git_change_detection = false
"""


@dataclass
class Project:
    repo: GitRepo

    @property
    def root(self) -> Path:
        return self.repo.root

    def gate(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """The real command line, in a child process, with a clean GitHub environment unless given."""
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        base_env.pop("MUTANT_UNDER_TEST", None)
        base_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "gate", *args],
            cwd=self.root,
            env=base_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def make_project(root: Path) -> Project:
    """main: `add` and its test. feature: adds `is_adult` with a test that asserts too little."""
    repo = GitRepo(root)
    repo.write(".gitignore", "mutants/\n.gate/\n__pycache__/\n.pytest_cache/\n")
    repo.write("pyproject.toml", PYPROJECT)
    repo.write("setup.cfg", SETUP_CFG)
    repo.write("shop/__init__.py", "")
    repo.write("shop/prices.py", BASE_SOURCE)
    repo.write("tests/__init__.py", "")
    repo.write("tests/test_prices.py", BASE_TESTS)
    repo.commit("base")
    repo.branch("feature")
    repo.write("shop/prices.py", FEATURE_SOURCE)
    repo.write("tests/test_prices.py", WEAK_TESTS)
    repo.commit("add is_adult")
    return Project(repo)
