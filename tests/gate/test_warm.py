"""Warm workers: mutants run in forks of one collected pytest session, with mutmut's verdicts.

The end-to-end tests run real `gate run`s on generated projects, once with warm workers and once with
`warm_workers = false` (each mutant starts pytest itself, as mutmut does): the verdicts must be the same,
whatever the warm path skips (fixture teardown, strict xfail, parametrized ids, hangs), and when the warm
server cannot collect or dies halfway, mutmut's own runner finishes the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gate.mutmut import basetemp
from gate.mutmut.limits import per_test_limits
from gate.mutmut.warm import Channel, pytest_args
from tests.gate.projects import Project, make_project

SHOP = """\
def total(prices, discount=0):
    s = 0
    for p in prices:
        s += p
    return s - discount


def label(x):
    if x > 10:
        return "big"
    return "small"


def spin(n):
    while n > 0:
        n -= 1
    return n
"""

CONFTEST = """\
import pytest

from pkg.shop import label


@pytest.fixture(scope="session")
def unit():
    return 1


@pytest.fixture
def ledger():
    entries = []
    yield entries
    # Only this teardown tells label's "big" apart: a run that skips teardown would let it survive.
    assert label(len(entries) * 20) == "big"
"""

TESTS = """\
import pytest

from pkg.shop import label, spin, total


@pytest.mark.parametrize(("prices", "expected"), [([1, 2], 3), ([], 0)], ids=["two[x]", "none"])
def test_total(prices, expected, unit):
    assert total(prices) == expected * unit


@pytest.mark.xfail(strict=True, reason="a mutant that makes it pass fails the run")
def test_total_of_one_is_not_two():
    assert total([1]) == 2


def test_label_small(ledger):
    ledger.append(1)
    assert label(3) == "small"


def test_spin():
    assert spin(3) == 0
"""


def _shop(root: Path, *, warm: bool = True, conftest: str = CONFTEST) -> Project:
    project = make_project(
        root,
        source={"shop.py": SHOP},
        tests={"test_shop.py": TESTS, "conftest.py": conftest},
        fail_under=0,
        gate_extra="" if warm else "warm_workers = false",
    )
    return project


def _verdicts(project: Project, env: dict[str, str] | None = None) -> dict[str, str]:
    proc = project.gate("run", "--no-causes", "-q", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {m["name"]: m["status"] for m in project.report()["mutants"]}


def _log(project: Project) -> str:
    return (project.root / ".gate" / "mutmut.log").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The verdicts of mutmut's own runner (each mutant starts pytest itself)."""
    project = _shop(tmp_path_factory.mktemp("cold"), warm=False)
    verdicts = _verdicts(project)
    assert "warm workers" not in _log(project)
    return verdicts


def test_warm_workers_give_every_mutant_the_verdict_of_mutmuts_own_runner(
    tmp_path: Path, cold: dict[str, str]
) -> None:
    project = _shop(tmp_path)

    warm = _verdicts(project)

    assert "warm workers: 5 tests collected once" in _log(project)
    assert warm == cold
    statuses = set(warm.values())
    assert {"killed", "survived", "timeout"} <= statuses
    # `return "big"` -> `return "XXbigXX"` or `return "BIG"` fails only in the ledger fixture's teardown:
    # the warm path must run it, or these mutants would survive.
    by_change = {
        line[1:].strip(): m["name"]
        for m in project.report()["mutants"]
        if m["name"].startswith("pkg.shop.x_label")
        for line in m["diff"].splitlines()
        if line.startswith("+ ")
    }
    assert warm[by_change['return "XXbigXX"']] == "killed"
    assert warm[by_change['return "BIG"']] == "killed"


def test_a_suite_the_server_cannot_collect_goes_to_mutmuts_runner(
    tmp_path: Path, cold: dict[str, str]
) -> None:
    refusing = CONFTEST + (
        "\n\ndef pytest_collection_finish(session):\n"
        "    plugins = session.config.pluginmanager.get_plugins()\n"
        "    if any(type(p).__module__ == 'gate.mutmut.warm' for p in plugins):\n"
        "        raise RuntimeError('this suite cannot be collected whole')\n"
    )
    project = _shop(tmp_path, conftest=refusing)

    verdicts = _verdicts(project)

    assert "warm workers off (pytest ended with exit code 3 before serving)" in _log(project)
    assert verdicts == cold


def test_a_server_killed_halfway_leaves_the_rest_to_mutmuts_runner(
    tmp_path: Path, cold: dict[str, str]
) -> None:
    marker = tmp_path / "server-killed"
    killing = CONFTEST + (
        "\n\nimport os, signal, pathlib\n\n\n"
        "def pytest_runtest_setup(item):\n"
        "    marker = pathlib.Path(os.environ['SHOP_MARKER'])\n"
        "    if os.environ.get('MUTANT_UNDER_TEST', '').endswith('__mutmut_2') and not marker.exists():\n"
        "        marker.write_text('killed')\n"
        "        os.kill(os.getppid(), signal.SIGKILL)  # the warm server, this child's parent\n"
    )
    project = _shop(tmp_path / "project", conftest=killing)

    verdicts = _verdicts(project, env={"SHOP_MARKER": str(marker)})

    assert marker.read_text() == "killed"
    assert "warm workers off: the server ended; mutmut's runner goes on" in _log(project)
    assert verdicts == cold


TEMP_TESTS = """\
import os
import pathlib

from pkg.shop import label, total


def test_total_in_a_file(tmp_path):
    (tmp_path / "prices").write_text("1 2")
    log = pathlib.Path(os.environ["SHOP_TEMP_LOG"])
    with log.open("a") as out:
        out.write(f"{os.environ.get('MUTANT_UNDER_TEST', '')} {tmp_path}\\n")
    assert total(int(p) for p in (tmp_path / "prices").read_text().split()) == 3


def test_label():
    assert label(3) == "small"
    assert label(11) == "big"
"""


@pytest.mark.census  # pytest's basetemp is looked up by feature: checked under every supported pytest line
def test_every_child_makes_its_tmp_path_inside_one_root_the_server_made(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "project",
        source={"shop.py": SHOP},
        tests={"test_shop.py": TEMP_TESTS},
        fail_under=0,
    )
    log = tmp_path / "temp.log"

    verdicts = _verdicts(project, env={"SHOP_TEMP_LOG": str(log)})

    runs = [line.split(" ", 1) for line in log.read_text().splitlines()]
    in_children = [(mutant, Path(path)) for mutant, path in runs if "__mutmut_" in mutant]
    total_mutants = {name for name, status in verdicts.items() if name.startswith("pkg.shop.x_total")}
    # Every mutant of total runs the test that uses tmp_path, each in its own child and its own directory.
    assert {mutant for mutant, _ in in_children} == total_mutants
    assert len({path for _, path in in_children}) == len(in_children)
    roots = {path.parent for _, path in in_children}  # basetemp / the test's numbered directory
    assert len(roots) == 1
    root = roots.pop()
    assert f"warm workers: one temporary root for every mutant: {root}" in _log(project)
    assert all((path / "prices").read_text() == "1 2" for _, path in in_children)


def test_a_suite_without_temporary_directories_gets_no_root(tmp_path: Path) -> None:
    project = _shop(tmp_path)

    _verdicts(project)

    assert "warm workers: 5 tests collected once" in _log(project)
    assert "temporary root" not in _log(project)


# -- the channel between mutmut's process and the server -------------------------------------------------


def test_messages_cross_the_pipe_whole_and_in_order() -> None:
    read_fd, write_fd = os.pipe()
    sender, receiver = Channel(write_fd=write_fd), Channel(read_fd=read_fd)
    sender.send({"started": "a", "pid": 7})
    sender.send({"done": "a", "exit_code": 1, "duration": 0.25})
    sender.close()

    assert receiver.receive() == {"started": "a", "pid": 7}
    assert receiver.receive() == {"done": "a", "exit_code": 1, "duration": 0.25}
    assert receiver.receive() is None  # the other end closed
    receiver.close()


def test_a_message_split_across_reads_comes_back_whole() -> None:
    read_fd, write_fd = os.pipe()
    receiver = Channel(read_fd=read_fd)
    os.write(write_fd, b'{"ready": ')
    assert receiver.fill() is True
    assert receiver.lines() == []
    os.write(write_fd, b'24}\n{"failed": "x"}\n')
    os.close(write_fd)

    assert receiver.receive() == {"ready": 24}
    assert receiver.receive() == {"failed": "x"}
    assert receiver.receive() is None
    receiver.close()


def test_the_server_collects_mutmuts_selection_without_stopping_at_the_first_failure() -> None:
    # mutmut's command line for a mutant's child (PytestRunner), as measured in mutmut 3.8.1.
    mutant_child = ["--rootdir=.", "--tb=native", "-x", "-q", "-p", "no:randomly", "-p", "no:random-order"]

    args = pytest_args(["tests/unit"], ["-n", "0"])

    # The same options but -x (each child stops at its first failure itself), then the whole
    # selection and mutmut's pytest_add_cli_args.
    assert args == [option for option in mutant_child if option != "-x"] + ["tests/unit", "-n", "0"]


def test_each_test_gets_mutmuts_limit_for_itself() -> None:
    durations = {"t::a": 0.5, "t::b": 0.25}

    # (duration + constant) x multiplier, test by test; an unknown test gets the constant alone.
    assert per_test_limits(["t::a", "t::b", "t::new"], durations, 3.0, 1.0) == [4.5, 3.75, 3.0]


# -- the basetemp made once ---------------------------------------------------------------------------------


class _Item:
    def __init__(self, *fixtures: str) -> None:
        self.fixturenames = list(fixtures)


class _Factory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls = 0

    def getbasetemp(self) -> Path:
        self.calls += 1
        self.root.mkdir(exist_ok=True)
        return self.root


class _Config:
    def __init__(self, factory: object) -> None:
        self._tmp_path_factory = factory


def test_the_root_is_made_only_when_a_test_uses_a_temporary_directory(tmp_path: Path) -> None:
    factory = _Factory(tmp_path / "basetemp")

    assert basetemp.prime(_Config(factory), [_Item("unit"), _Item("ledger", "request")]) is None
    assert factory.calls == 0
    assert basetemp.prime(_Config(factory), [_Item("unit"), _Item("tmpdir_factory")]) == str(
        tmp_path / "basetemp"
    )
    assert factory.calls == 1
    assert (tmp_path / "basetemp").is_dir()


def test_a_pytest_that_keeps_its_factory_elsewhere_leaves_each_child_its_own_root() -> None:
    assert basetemp.prime(object(), [_Item("tmp_path")]) is None
    assert basetemp.prime(_Config(object()), [_Item("tmp_path")]) is None


def test_a_root_that_cannot_be_made_is_left_to_the_tests(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    factory = _Factory(blocked / "basetemp")

    assert basetemp.prime(_Config(factory), [_Item("tmp_path")]) is None
    assert factory.calls == 1
