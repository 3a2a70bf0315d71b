"""The labelled corpus: a generated project reproducing each pattern found on real suites, run end to end
with the real `gate run` and mutmut; every survivor's cause (and the hints that name the pattern) must match
the label written here by hand. The share that matches is printed (the README quotes it).

Patterns: a method replaced on an instance by a test helper (`obj._create_session = fake`), a class method
replaced by plain assignment in a fixture and restored after `yield`, a module function replaced by plain
assignment, a callback handed to an injected collaborator whose fakes never call it, pytest-mock's
`mocker.patch.object` next to a test that runs the code for real, and `mocker.spy` (hides nothing).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.gate.projects import make_project

pytestmark = [pytest.mark.e2e, pytest.mark.census]

SERVICE = """\
class Downloader:
    def download(self, url, progress_callback):
        progress_callback(len(url))
        return self._create_session() + url

    def _create_session(self):
        return "session:"


class Manager:
    def __init__(self, downloader):
        self.downloader = downloader

    def fetch(self, url):
        return self.downloader.download(url, progress_callback=self._on_progress)

    def _on_progress(self, size):
        return size * 2


def scale(x):
    return x * 10


def report(x):
    return "value " + str(scale(x))


def tax(amount):
    return amount * 3


def total(amount):
    return amount + tax(amount)


class Mailer:
    def send(self, to):
        return "sent to " + to


def notify(to):
    return Mailer().send(to).upper()


class Store:
    def save(self, item):
        return self._write(item)

    def _write(self, item):
        return len(item) > 0


def unused(x):
    return x + 1
"""

HELPERS = """\
from pkg.service import Downloader


def make_downloader():
    downloader = Downloader()
    downloader._create_session = lambda: "fake:"  # S:helper
    return downloader
"""

TESTS = """\
import pytest

from pkg import service
from pkg.service import Mailer, Manager, Store
from tests.helpers import make_downloader


def test_download():
    seen = []
    assert make_downloader().download("ab", seen.append) == "fake:ab"
    assert seen == [2]


class FakeDownloader:
    def __init__(self):
        self.callback = None

    def download(self, url, progress_callback=None):  # S:fake
        self.callback = progress_callback
        return "fake " + url


def test_fetch():
    fake = FakeDownloader()
    assert Manager(fake).fetch("u") == "fake u"
    assert fake.callback is not None


def test_report_spied(mocker):
    spy = mocker.spy(service, "scale")  # S:spy
    service.report(2)
    spy.assert_called_once_with(2)


def test_total():
    saved = service.tax
    service.tax = lambda amount: 0  # S:tax
    try:
        assert service.total(5) == 5
    finally:
        service.tax = saved


@pytest.fixture
def quiet_mailer():
    saved = Mailer.send
    Mailer.send = lambda self, to: "fake"  # S:send
    yield
    Mailer.send = saved


def test_notify(quiet_mailer):
    assert service.notify("x") == "FAKE"


def test_save(mocker):
    mocker.patch.object(Store, "_write", return_value=True)  # S:write
    assert Store().save("x") is True


def test_write_runs():
    Store()._write("abc")
"""


def site(marker: str) -> str:
    for name, text in (("tests/helpers.py", HELPERS), ("tests/test_service.py", TESTS)):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.rstrip().endswith(f"# S:{marker}"):
                return f"{name}:{number}"
    raise LookupError(marker)


T = "tests/test_service.py::"
# Per function with survivors: the cause of every one of them, and the hint when it names the pattern.
EXPECTED: dict[str, tuple[str, str | None]] = {
    # Replaced on the instance by the test helper: no test runs the real one.
    "Downloader._create_session": (
        "hidden-by-mock",
        "`Downloader._create_session` is replaced in 1 test and run by none: test it directly",
    ),
    # Handed to the injected downloader as a callback; the test's fake keeps it and never calls it.
    "Manager._on_progress": (
        "untested",
        f"`_on_progress` is only passed as `progress_callback` to `download` (pkg/service.py:15); the fakes "
        f"of `download` in the tests never call it: `FakeDownloader.download` ({site('fake')}). Make a fake "
        "call `progress_callback`, or test `_on_progress` directly",
    ),
    # A spy runs the real code: the weak test is the reason, not a mock.
    "scale": (
        "weak-assertion",
        "assert the exact value `scale` returns in `test_report_spied`: it passes when `return x * 10` changes",
    ),
    "report": (
        "weak-assertion",
        "assert the exact value `report` returns in `test_report_spied`: it passes when "
        '`return "value " + str(scale(x))` changes',
    ),
    # A module function replaced by plain assignment (restored in `finally:`).
    "tax": ("hidden-by-mock", "`tax` is replaced in 1 test and run by none: test it directly"),
    "total": (
        "weak-assertion",
        f"assert on the arguments passed to the mock of `tax` in `test_total` ({site('tax')})",
    ),
    # A method replaced on its class by a fixture (restored after `yield`).
    "Mailer.send": (
        "hidden-by-mock",
        "`Mailer.send` is replaced in 1 test and run by none: test it directly",
    ),
    "notify": (
        "weak-assertion",
        f"assert on the arguments passed to the mock of `send` in `test_notify` ({site('send')})",
    ),
    # mocker.patch.object in one test, run for real (without asserting) by another.
    "Store._write": (
        "partly-mocked",
        "replaced in 1 test, run for real only by `test_write_runs`, which passes with this change: "
        "assert what `_write` does in `test_write_runs`",
    ),
    "Store.save": (
        "weak-assertion",
        f"assert on the arguments passed to the mock of `_write` in `test_save` ({site('write')})",
    ),
    "unused": ("untested", "no test runs `unused` and none replaces it: add a test that calls it"),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("corpus")
    project = make_project(
        root,
        source={"service.py": SERVICE},
        tests={"helpers.py": HELPERS, "test_service.py": TESTS},
        fail_under=0,
    )
    proc = project.gate("run", "-f", "json", "--no-progress", timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def survivors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in report["mutants"] if m["status"] in ("survived", "no-tests")]


def test_every_survivor_of_the_corpus_has_its_labelled_cause(report: dict[str, Any]) -> None:
    found = survivors(report)
    matching = [m for m in found if EXPECTED.get(m["function"], ("", None))[0] == m["cause"]]
    print(f"corpus: {len(matching)} of {len(found)} survivors have the labelled cause")
    assert {m["function"] for m in found} == set(EXPECTED)
    assert [(m["function"], m["cause"]) for m in found] == [
        (m["function"], EXPECTED[m["function"]][0]) for m in found
    ]


@pytest.mark.parametrize("function", [f for f, (_, hint) in EXPECTED.items() if hint is not None])
def test_the_hint_names_the_pattern(report: dict[str, Any], function: str) -> None:
    hints = {m["hint"] for m in survivors(report) if m["function"] == function}
    assert hints == {EXPECTED[function][1]}


def test_the_evidence_names_each_plain_assignment_with_its_site(report: dict[str, Any]) -> None:
    mocks = {
        m["function"]: {(r["target"], r["kind"], r["site"]) for r in m["mocks"]}
        for m in survivors(report)
        if m["cause"] == "hidden-by-mock"
    }
    assert mocks == {
        "Downloader._create_session": {
            ("pkg.service.Downloader._create_session", "assignment", site("helper"))
        },
        "tax": {("pkg.service.tax", "assignment", site("tax"))},
        "Mailer.send": {("pkg.service.Mailer.send", "assignment", site("send"))},
    }
