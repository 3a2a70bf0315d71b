"""End-to-end causes: the real `gate run` with real mutmut on one project whose suite hides code behind
mocks in every common way; each function's survivors must get the known cause and evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.gate.projects import make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

SHOP = """\
class Downloader:
    def download(self, url):
        return self._fetch(url) + "!"

    def _fetch(self, url):
        return "got " + url

    async def fetch_twice(self, url):
        return await self.fetch_async(url) + "."

    async def fetch_async(self, url):
        return url * 2

    def accept(self, size):
        return "ok" if self.verify(size) else "no"

    def verify(self, size):
        return size > 10


class Mailer:
    def send(self, to):
        return "sent to " + to


def notify(to):
    return Mailer().send(to)


def tax(amount):
    return amount * 3


def total(amount):
    return amount + tax(amount)


def discount(price):
    return price * 2


def untouched(x):
    return x + 1


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def save(path, text):
    _write(path, text)


def env_label(name):
    return name + "?"


def shout(word):
    return word + "!"
"""

TEST_SHOP = """\
import os
from unittest import mock
from unittest.mock import AsyncMock, patch

import pytest

from pkg import shop
from pkg.shop import Downloader


def test_download(monkeypatch):
    monkeypatch.setattr(Downloader, "_fetch", lambda self, url: "x")  # S:fetch
    assert Downloader().download("u") == "x!"


@pytest.mark.asyncio
async def test_fetch_twice():
    with patch.object(Downloader, "fetch_async", new_callable=AsyncMock, return_value="r"):  # S:async
        assert await Downloader().fetch_twice("u") == "r."


def test_accept_yes():
    with patch.object(Downloader, "verify", return_value=True):  # S:verify_yes
        assert Downloader().accept(5) == "ok"


def test_accept_no():
    with patch.object(Downloader, "verify", return_value=False):  # S:verify_no
        assert Downloader().accept(50) == "no"


def test_verify_runs():
    assert Downloader().verify(100) is not None


def test_total():
    with mock.patch("pkg.shop.tax", return_value=2):  # S:tax
        assert shop.total(10) == 12


def test_discount():
    assert shop.discount(100)


def test_save_calls_write(monkeypatch):
    calls = []
    monkeypatch.setattr(shop, "_write", lambda *args: calls.append(args))  # S:write
    shop.save("p", "x")
    assert calls


def test_env_label():
    with patch.dict(os.environ, {}, clear=True):  # S:env_label
        assert shop.env_label("a")


def test_shout_in_a_cleared_environment():
    with patch.dict(os.environ, {}, clear=True):  # S:shout
        assert shop.shout("a") == "a!"
"""

CONFTEST = """\
from unittest.mock import patch

import pytest

from pkg.shop import Mailer


@pytest.fixture(autouse=True)
def quiet_mailer():
    with patch.object(Mailer, "send", return_value="mocked"):  # S:autouse
        yield
"""

TEST_NOTIFY = """\
from pkg.shop import notify


def test_notify():
    assert notify("a") == "mocked"
"""

FILES = {"tests/test_shop.py": TEST_SHOP, "tests/auto/conftest.py": CONFTEST}
T = "tests/test_shop.py::"
NOTIFY = "tests/auto/test_notify.py::test_notify"


def site(marker: str) -> str:
    for name, text in FILES.items():
        for number, line in enumerate(text.splitlines(), start=1):
            if line.endswith(f"# S:{marker}"):
                return f"{name}:{number}"
    raise LookupError(marker)


def mock(test: str, target: str, kind: str, marker: str) -> dict[str, str]:
    return {"test": test, "target": target, "kind": kind, "site": site(marker)}


FETCH = mock(T + "test_download", "pkg.shop.Downloader._fetch", "monkeypatch.setattr", "fetch")
ASYNC = mock(T + "test_fetch_twice", "pkg.shop.Downloader.fetch_async", "patch.object", "async")
VERIFY = [
    mock(T + "test_accept_no", "pkg.shop.Downloader.verify", "patch.object", "verify_no"),
    mock(T + "test_accept_yes", "pkg.shop.Downloader.verify", "patch.object", "verify_yes"),
]
TAX = mock(T + "test_total", "pkg.shop.tax", "patch", "tax")
SEND = mock(NOTIFY, "pkg.shop.Mailer.send", "patch.object", "autouse")
WRITE = mock(T + "test_save_calls_write", "pkg.shop._write", "monkeypatch.setattr", "write")
ENV = mock(T + "test_env_label", "os.environ", "patch.dict(clear=True)", "env_label")

# function -> (cause, tests that run it, tests that replace it, evidence, hint) for each of its survivors.
EXPECTED: dict[str, tuple[str, list[str], list[str], list[dict[str, str]], str]] = {
    # A method replaced on its class and tested only through its caller.
    "Downloader._fetch": (
        "hidden-by-mock", [], [T + "test_download"], [FETCH],
        "`Downloader._fetch` is replaced in 1 test and run by none: test it directly",
    ),
    # Its caller runs for real, but the fake ignores the argument it passes.
    "Downloader.download": (
        "weak-assertion", [T + "test_download"], [], [FETCH],
        f"assert on the arguments passed to the mock of `_fetch` in `test_download` ({site('fetch')})",
    ),
    # An async method replaced with AsyncMock.
    "Downloader.fetch_async": (
        "hidden-by-mock", [], [T + "test_fetch_twice"], [ASYNC],
        "`Downloader.fetch_async` is replaced in 1 test and run by none: test it directly",
    ),
    "Downloader.fetch_twice": (
        "weak-assertion", [T + "test_fetch_twice"], [], [ASYNC],
        f"assert on the arguments passed to the mock of `fetch_async` in `test_fetch_twice` ({site('async')})",
    ),
    # Patched out in two tests, run for real by one test that asserts little.
    "Downloader.verify": (
        "partly-mocked", [T + "test_verify_runs"], [T + "test_accept_no", T + "test_accept_yes"], VERIFY,
        "replaced in 2 tests, run for real only by `test_verify_runs`, which passes with this change: "
        "assert what `verify` does in `test_verify_runs`",
    ),
    "Downloader.accept": (
        "weak-assertion", [T + "test_accept_no", T + "test_accept_yes"], [], VERIFY,
        f"assert on the arguments passed to the mock of `verify` in `test_accept_no` ({site('verify_no')})",
    ),
    # patch.object inside an autouse fixture of a conftest.
    "Mailer.send": (
        "hidden-by-mock", [], [NOTIFY], [SEND],
        "`Mailer.send` is replaced in 1 test and run by none: test it directly",
    ),
    "notify": (
        "weak-assertion", [NOTIFY], [], [SEND],
        f"assert on the arguments passed to the mock of `send` in `test_notify` ({site('autouse')})",
    ),
    # A module function replaced by mock.patch with a string target.
    "tax": ("hidden-by-mock", [], [T + "test_total"], [TAX], "`tax` is replaced in 1 test and run by none: test it directly"),
    "total": (
        "weak-assertion", [T + "test_total"], [], [TAX],
        f"assert on the arguments passed to the mock of `tax` in `test_total` ({site('tax')})",
    ),
    # Reached by a test that only asserts truthiness.
    "discount": (
        "weak-assertion", [T + "test_discount"], [], [],
        "assert the exact value `discount` returns in `test_discount`: it passes when `return price * 2` changes",
    ),
    "untouched": ("untested", [], [], [], "no test runs `untouched` and none replaces it: add a test that calls it"),
    # The survivor's only test replaces the callee that receives the mutated argument.
    "save": (
        "weak-assertion", [T + "test_save_calls_write"], [], [WRITE],
        f"assert on the arguments passed to the mock of `_write` in `test_save_calls_write` ({site('write')})",
    ),
    "_write": (
        "hidden-by-mock", [], [T + "test_save_calls_write"], [WRITE],
        "`_write` is replaced in 1 test and run by none: test it directly",
    ),
    # Run only by a test that clears os.environ.
    "env_label": (
        "unreliable", [T + "test_env_label"], [], [ENV],
        f"`test_env_label` clears os.environ ({site('env_label')}) where mutmut reads MUTANT_UNDER_TEST: "
        "keep that variable (patch.dict without clear=True) and re-check this mutant",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    root = tmp_path_factory.mktemp("causes")
    project = make_project(
        root,
        source={"shop.py": SHOP},
        tests={"test_shop.py": TEST_SHOP, "auto/conftest.py": CONFTEST, "auto/test_notify.py": TEST_NOTIFY},
        fail_under=0,  # any score passes: this test is about the causes
    )
    proc = project.gate("run", "-f", "json", "--no-progress", timeout=180)
    assert proc.returncode == 0, proc.stderr
    text = project.gate("report", "--details").stdout
    return json.loads(proc.stdout), text, root


def survivors(report: dict[str, Any], function: str) -> list[dict[str, Any]]:
    return [
        m for m in report["mutants"] if m["function"] == function and m["status"] in ("survived", "no-tests")
    ]


def test_every_mutant_of_the_project_gets_its_known_cause(
    run: tuple[dict[str, Any], str, Path],
) -> None:
    report = run[0]
    with_survivors = {m["function"] for m in report["mutants"] if m["status"] in ("survived", "no-tests")}
    assert with_survivors == set(EXPECTED)
    for m in report["mutants"]:
        if m["status"] == "killed":
            assert (m["cause"], m["mocks"], m["replaced_in"], m["hint"]) == (None, [], [], ""), m["name"]


@pytest.mark.parametrize("function", list(EXPECTED))
def test_cause_and_evidence(run: tuple[dict[str, Any], str, Path], function: str) -> None:
    cause, tests, replaced_in, mocks, hint = EXPECTED[function]
    found = survivors(run[0], function)
    assert found
    for m in found:
        assert m["status"] == ("no-tests" if not tests else "survived"), m["name"]
        assert (m["cause"], sorted(m["tests"]), m["replaced_in"]) == (cause, tests, replaced_in), m["name"]
        assert m["mocks"] == mocks, m["name"]
        assert m["hint"] == hint, m["name"]


def test_a_strong_test_in_a_cleared_environment_still_kills(
    run: tuple[dict[str, Any], str, Path],
) -> None:
    # mutmut 3.8 keeps the mutant's name in-process as well as in MUTANT_UNDER_TEST.
    shout = [m for m in run[0]["mutants"] if m["function"] == "shout"]
    assert shout and {m["status"] for m in shout} == {"killed"}


def test_text_report_leads_with_the_mock_hidden_survivors(
    run: tuple[dict[str, Any], str, Path],
) -> None:
    text = run[1]
    order = [
        text.index("Hidden by mocks: tests replace this code instead of running it"),
        text.index(
            "Partly mocked: tests run this code and still pass when it changes; other tests replace it"
        ),
        text.index("Weak assertions: tests run this code and still pass when it changes"),
        text.index("Unreliable verdicts:"),
        text.index("Untested: no test runs or replaces this code"),
    ]
    assert order == sorted(order)
    assert "    `Downloader.verify`: 2 mutants, 2 survive; run by 1 test, replaced in 2\n" in text
    assert "    `Downloader._fetch`: 3 mutants, 3 survive; run by 0 tests, replaced in 1\n" in text
    assert f"replaced at: {site('verify_no')} patch.object pkg.shop.Downloader.verify; " in text
    assert "causes: hidden-by-mock 17, partly-mocked 2, weak-assertion 11, unreliable 1, untested 2" in text


def test_the_census_is_cached_between_runs(run: tuple[dict[str, Any], str, Path]) -> None:
    root = run[2]
    cache = json.loads((root / ".gate" / "census.json").read_text())
    assert cache["schema"] == "gate-census/1"
    assert T + "test_download" in cache["tests"]
