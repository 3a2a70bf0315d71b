"""From nothing to a labelled report: `gate init --yes` then `gate run` with the real gate and mutmut, on
projects of each common shape, with every mutmut setting in [tool.gate] only (no [mutmut] section).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.census]

PRICE = """\
import json


def load(path):
    with open(path) as handle:
        return json.load(handle)


def total(items, discount=0):
    s = sum(items)
    if discount > 50:
        raise ValueError("too much")
    return s - s * discount // 100


def priced(path):
    return total(load(path))
"""

# `total` is checked exactly; `priced` only with `load` patched away, so load's mutants are hidden by the mock.
TESTS = """\
from unittest import mock

from {module} import price


def test_total():
    assert price.total([10, 20], 10) == 27
    assert price.total([10], 50) == 5
    assert price.total([1]) == 1


def test_discount_limit():
    try:
        price.total([1], 51)
    except ValueError as error:
        assert str(error) == "too much"
    else:
        raise AssertionError("no error")


def test_priced():
    with mock.patch.object(price, "load", return_value=[4, 6]):
        assert price.priced("x.json") == 10
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _gate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args], cwd=root, capture_output=True, text=True, timeout=600
    )


def _init_and_run(root: Path) -> tuple[list[str], dict[str, str]]:
    """`gate init --yes` (with its doctor) then `gate run --json`: doctor's lines without timings, and the
    status or cause of each function's mutants."""
    init = _gate(root, "init", "--yes")
    assert init.returncode == 0, init.stdout + init.stderr
    doctor = init.stdout.split("$ gate doctor\n")[1]
    doctor = re.sub(r"\d+\.\d+ ?s", "T s", doctor)
    return doctor.splitlines(), _run_causes(root)


def _run_causes(root: Path) -> dict[str, str]:
    """`gate run --json`: how many mutants of each function got each status or cause."""
    run = _gate(root, "run", "--json", "--no-progress")
    assert run.returncode == 0, run.stderr
    mutants = json.loads(run.stdout)["mutants"]
    causes = Counter(f"{m['function']}: {m['cause'] or m['status']}" for m in mutants)
    return {key: str(count) for key, count in sorted(causes.items())}


# load's two mutants are hidden by the mock; total's two survivors are its `discount` default (0 -> 1)
# and the floor division (// -> /) that no exact-integer check tells apart; priced passes None on.
EXPECTED = {
    "load: hidden-by-mock": "2",
    "priced: killed": "1",
    "priced: weak-assertion": "1",
    "total: killed": "10",
    "total: weak-assertion": "2",
}


# The same tests with pytest-mock's `mocker` instead of unittest.mock.
MOCKER_TESTS = TESTS.replace("from unittest import mock\n\n", "").replace(
    'def test_priced():\n    with mock.patch.object(price, "load", return_value=[4, 6]):\n'
    '        assert price.priced("x.json") == 10\n',
    'def test_priced(mocker):\n    mocker.patch.object(price, "load", return_value=[4, 6])\n'
    '    assert price.priced("x.json") == 10\n',
)


@pytest.mark.parametrize("tests", [TESTS, MOCKER_TESTS], ids=["unittest.mock", "pytest-mock"])
def test_src_layout(tmp_path: Path, tests: str) -> None:
    assert "mocker.patch.object" in MOCKER_TESTS and "mock.patch" not in MOCKER_TESTS.replace("mocker", "")
    _write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "shop"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/shop/__init__.py": "",
            "src/shop/price.py": PRICE,
            "tests/test_price.py": tests.format(module="shop"),
        },
    )
    doctor, causes = _init_and_run(tmp_path)
    assert doctor == [
        "ok    config: 1 target(s), 2 source file(s) (source_paths from pyproject.toml [tool.gate])",
        "ok    import shop: from src/shop/__init__.py",
        "ok    clean suite: 3 passed in T s (T s)",
        "ok    mock census: loads under pytest " + pytest.__version__ + ": 3 test(s), 1 replacement(s) seen",
        "estimate: about 16 mutants in the targets (an estimate from parsing all 2 files)",
        "estimate: run time not known until mutmut has mapped the tests (`gate doctor --full` maps them "
        "and runs mutmut's forced-fail check; it generates every mutant)",
    ]
    assert causes == EXPECTED


PYPROJECT = '[project]\nname = "shop"\n'
# The same checks as TESTS, as a unittest.TestCase whose patch starts in setUp and stops by addCleanup.
TESTCASE = """\
import unittest
from unittest import mock

from shop import price


class PriceTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.object(price, "load", return_value=[4, 6])
        self.load = patcher.start()
        self.addCleanup(patcher.stop)

    def test_total(self):
        self.assertEqual(price.total([10, 20], 10), 27)
        self.assertEqual(price.total([10], 50), 5)
        self.assertEqual(price.total([1]), 1)

    def test_discount_limit(self):
        with self.assertRaisesRegex(ValueError, "^too much$"):
            price.total([1], 51)

    def test_priced(self):
        self.assertEqual(price.priced("x.json"), 10)
"""
ROOT_CONFTEST = """\
import pytest

import shop


@pytest.fixture
def package_name():
    return shop.__name__
"""

# Each shape: its files, and what init detects there (its first three lines).
SHAPES = {
    "tests inside the package": (
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/price.py": PRICE,
            "shop/tests/__init__.py": "",
            "shop/tests/test_price.py": TESTS.format(module="shop"),
        },
        [
            "source: shop (mutated: shop)",
            "tests: shop/tests",
            "pytest configured in: no file (pytest defaults)",
        ],
    ),
    "namespace package": (
        {
            "pyproject.toml": PYPROJECT,
            "nsp/shop/price.py": PRICE,
            "tests/test_price.py": TESTS.format(module="nsp.shop"),
        },
        ["source: nsp (mutated: nsp)", "tests: tests", "pytest configured in: no file (pytest defaults)"],
    ),
    "unittest.TestCase suite": (
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/price.py": PRICE,
            "tests/test_price.py": TESTCASE,
        },
        ["source: shop (mutated: shop)", "tests: tests", "pytest configured in: no file (pytest defaults)"],
    ),
    "pytest-xdist with -n auto in addopts": (
        {
            "pyproject.toml": PYPROJECT + '\n[tool.pytest.ini_options]\naddopts = "-n auto"\n',
            "shop/__init__.py": "",
            "shop/price.py": PRICE,
            "tests/test_price.py": TESTS.format(module="shop"),
        },
        [
            "source: shop (mutated: shop)",
            "tests: tests",
            "pytest configured in: pyproject.toml [tool.pytest.ini_options]",
        ],
    ),
    "pytest-randomly active": (
        {
            "pyproject.toml": PYPROJECT,
            "pytest.ini": "[pytest]\naddopts = -p randomly -p no:cacheprovider\n",
            "shop/__init__.py": "",
            "shop/price.py": PRICE,
            "tests/test_price.py": TESTS.format(module="shop"),
        },
        ["source: shop (mutated: shop)", "tests: tests", "pytest configured in: pytest.ini [pytest]"],
    ),
    "a root conftest that imports the package": (
        {
            "pyproject.toml": PYPROJECT,
            "conftest.py": ROOT_CONFTEST,
            "shop/__init__.py": "",
            "shop/price.py": PRICE,
            "tests/test_price.py": TESTS.format(module="shop")
            + "\n\ndef test_fixture_from_root_conftest(package_name):\n    assert package_name == 'shop'\n",
        },
        ["source: shop (mutated: shop)", "tests: tests", "pytest configured in: no file (pytest defaults)"],
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_project_shape(tmp_path: Path, shape: str) -> None:
    files, detected = SHAPES[shape]
    _write(tmp_path, files)
    init = _gate(tmp_path, "init", "--yes", "--no-doctor")
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines()[:3] == detected
    doctor = _gate(tmp_path, "doctor")
    assert doctor.returncode == 0, doctor.stdout
    assert _run_causes(tmp_path) == EXPECTED
