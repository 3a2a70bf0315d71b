"""A small project whose suite replaces code in every style the census records (files by path).

The census tests write it into tmp_path; each replacement line carries a `# S:<name>` marker.
"""

FILES: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/consumer.py": """\
from pkg.core import Downloader, helper


def use():
    return Downloader().download_file("u") + str(helper(1))
""",
    "pkg/core.py": """\
SETTINGS = {"retries": 3}


def helper(x):
    return x * 2


def compute(x):
    return helper(x) + 1


def legacy():
    return 0


async def fetch(x):
    return x


class Downloader:
    def download_file(self, url):
        return self._open(url)

    def _open(self, url):
        return url.upper()

    def _create_session(self):
        return object()

    @staticmethod
    def norm(url):
        return url.strip()

    class Inner:
        def run(self):
            return 1
""",
    "pkg/extra.py": """\
def value():
    return 1
""",
    "pyproject.toml": """\
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
""",
    "tests/__init__.py": "",
    "tests/auto/__init__.py": "",
    "tests/auto/conftest.py": """\
from unittest.mock import patch

import pytest

from pkg.core import Downloader


@pytest.fixture(autouse=True)
def no_open():
    with patch.object(Downloader, "_open", return_value="auto"):  # S:autouse
        yield


@pytest.fixture(autouse=True)
def started():
    patcher = patch("pkg.core.compute")  # S:started
    patcher.start()
    yield
    patcher.stop()
""",
    "tests/auto/test_auto.py": """\
from pkg import core


def test_uses_autouse():
    assert core.Downloader().download_file("u") == "auto"
""",
    "tests/helpers.py": """\
from pkg.core import Downloader


def _noop_create_session():
    return None


def make_downloader():
    downloader = Downloader()
    downloader._create_session = _noop_create_session  # S:assign_helper
    return downloader
""",
    "tests/test_assign.py": """\
import pytest

from pkg import core
from pkg.core import Downloader
from tests.helpers import make_downloader


def test_assign_module():
    saved = core.helper
    core.helper = lambda x: 0  # S:assign_module
    try:
        assert core.compute(1) == 1
    finally:
        core.helper = saved


def test_assign_class():
    saved = Downloader.__dict__["_open"]
    Downloader._open = lambda self, url: "c"  # S:assign_class
    try:
        assert Downloader().download_file("u") == "c"
    finally:
        Downloader._open = saved


def test_assign_instance():
    downloader = Downloader()
    downloader._open = lambda url: "i"  # S:assign_instance
    assert downloader.download_file("u") == "i"


def test_setattr_builtin():
    downloader = Downloader()
    setattr(downloader, "_create_session", lambda: None)  # S:setattr_builtin
    assert downloader._create_session() is None


def test_assign_in_helper():
    assert make_downloader()._create_session() is None


@pytest.fixture
def fake_downloader():
    downloader = Downloader()
    downloader.download_file = lambda url: "f"  # S:assign_fixture
    return downloader


def test_assign_in_fixture(fake_downloader):
    assert fake_downloader.download_file("u") == "f"


def test_assign_data_is_not_a_fake():
    downloader = Downloader()
    downloader.url = "u"
    downloader.download_file_count = 3
    assert downloader.download_file("u") == "U"


@pytest.fixture
def quiet_open():
    saved = Downloader._open
    Downloader._open = lambda self, url: "q"  # S:assign_yield
    yield
    Downloader._open = saved


def test_assign_restored_after_yield(quiet_open):
    assert Downloader().download_file("u") == "q"
""",
    "tests/test_mock_forms.py": """\
from unittest import mock
from unittest.mock import patch

from pkg import core
from pkg.core import Downloader


@patch.object(Downloader, "_open", return_value="d")  # S:object_decorator
def test_patch_object_decorator(fake):
    assert Downloader().download_file("u") == "d"


def test_patch_object_start_stop():
    patcher = patch.object(core, "helper", return_value=0)  # S:object_start
    patcher.start()
    try:
        assert core.compute(1) == 1
    finally:
        patcher.stop()


@patch.dict(core.SETTINGS, {"retries": 1})  # S:dict_decorator
def test_patch_dict_decorator():
    assert core.SETTINGS["retries"] == 1


def test_patch_dict_start_stop():
    patcher = patch.dict(core.SETTINGS, {"retries": 2})  # S:dict_start
    patcher.start()
    patcher.stop()


@patch.multiple(core, helper=mock.DEFAULT)  # S:multiple_decorator
def test_patch_multiple_decorator(**fakes):
    core.compute(1)


def test_patch_multiple_start_stop():
    patcher = patch.multiple(Downloader, _open=mock.DEFAULT)  # S:multiple_start
    patcher.start()
    patcher.stop()


def test_monkeypatch_delitem_and_context(monkeypatch):
    monkeypatch.delitem(core.SETTINGS, "retries")  # S:delitem
    with monkeypatch.context() as inner:
        inner.setattr(core, "helper", lambda x: 0)  # S:context
        assert core.compute(1) == 1
""",
    "tests/test_mocker.py": """\
from unittest import mock

from pkg import core, extra
from pkg.core import Downloader

# Applied when pytest imports this module (collection) and never undone: every test runs with it.
mock.patch.object(extra, "value", return_value=2).start()  # S:import_patch


def test_mocker_patch(mocker):
    mocker.patch("pkg.core.helper", return_value=0)  # S:mocker_patch
    assert core.compute(1) == 1


def test_mocker_patch_object(mocker):
    mocker.patch.object(Downloader, "_open", return_value="m")  # S:mocker_patch_object
    assert Downloader().download_file("u") == "m"


def test_mocker_patch_dict(mocker):
    mocker.patch.dict(core.SETTINGS, {"retries": 9})  # S:mocker_patch_dict
    assert core.SETTINGS["retries"] == 9


def test_mocker_patch_multiple(mocker):
    mocker.patch.multiple("pkg.core", helper=mocker.DEFAULT, compute=mocker.DEFAULT)  # S:mocker_patch_multiple


def test_mocker_spy(mocker):
    spy = mocker.spy(core, "helper")  # S:mocker_spy
    assert core.compute(2) == 5
    spy.assert_called_once_with(2)
""",
    "tests/test_import_time.py": """\
import sys
import types

sys.modules["pkg.optional"] = types.ModuleType("pkg.optional")  # S:import_time


def test_after_import():
    assert "pkg.optional" in sys.modules
""",
    "tests/test_module_scope.py": """\
from unittest.mock import patch

import pytest

from pkg.core import Downloader


@pytest.fixture(scope="module")
def module_patch():
    with patch.object(Downloader, "norm"):  # S:module_fixture
        yield


def test_a(module_patch):
    pass


def test_b():
    # The module-scoped patch is still in place: it applies here too.
    pass
""",
    "tests/test_styles.py": """\
import os
import sys
import types
import unittest
from unittest import mock
from unittest.mock import patch

import pytest

import pkg.consumer
from pkg import core
from pkg.core import Downloader


def test_plain():
    assert core.compute(1) == 3


def test_setattr_class(monkeypatch):
    monkeypatch.setattr(Downloader, "_open", lambda self, url: "x")  # S:setattr_class
    assert pkg.consumer.use() == "x2"


def test_setattr_string(monkeypatch):
    monkeypatch.setattr("pkg.core.helper", lambda x: 0)  # S:setattr_string
    assert core.compute(5) == 1


def test_setattr_instance(monkeypatch):
    downloader = Downloader()
    monkeypatch.setattr(downloader, "download_file", lambda url: "y")  # S:setattr_instance
    assert downloader.download_file("u") == "y"


def test_delattr(monkeypatch):
    monkeypatch.delattr(core, "compute")  # S:delattr
    assert not hasattr(core, "compute")


def test_setitem_and_env(monkeypatch):
    monkeypatch.setitem(core.SETTINGS, "retries", 0)  # S:setitem
    monkeypatch.setenv("GATE_X", "1")  # S:setenv
    monkeypatch.delenv("GATE_CENSUS_PRESENT")  # S:delenv
    assert core.SETTINGS["retries"] == 0


def test_patch_string():
    with patch("pkg.consumer.Downloader") as fake:  # S:patch_string
        pkg.consumer.use()
    fake.return_value.download_file.assert_called_once_with("u")


def test_patch_object_instance():
    downloader = Downloader()
    with patch.object(downloader, "download_file", return_value="z"):  # S:patch_object
        assert downloader.download_file("u") == "z"


def test_patch_multiple():
    with patch.multiple("pkg.core", helper=mock.DEFAULT, compute=mock.DEFAULT):  # S:patch_multiple
        pass


@patch("pkg.core.helper")  # S:patch_decorator
def test_patch_decorator(fake):
    core.compute(1)
    fake.assert_called_once_with(1)


def test_patch_dict_environ_clear():
    with patch.dict(os.environ, {"A": "1"}, clear=True):  # S:patch_dict_clear
        assert dict(os.environ) == {"A": "1"}


def test_patch_dict_settings():
    with patch.dict(core.SETTINGS, {"retries": 5}):  # S:patch_dict
        assert core.SETTINGS["retries"] == 5


def test_environ_clear():
    saved = dict(os.environ)
    os.environ.clear()  # S:environ_clear
    os.environ.update(saved)


@pytest.fixture
def restore_extra():
    saved = sys.modules.get("pkg.extra")
    yield
    if saved is None:
        sys.modules.pop("pkg.extra", None)
    else:
        sys.modules["pkg.extra"] = saved


@pytest.fixture
def fake_extra(restore_extra):
    sys.modules["pkg.extra"] = types.ModuleType("pkg.extra")  # S:sys_modules_fixture
    yield


def test_sys_modules_fixture(fake_extra):
    assert sys.modules["pkg.extra"].__spec__ is None


def test_sys_modules_in_test(restore_extra):
    sys.modules["pkg.extra"] = mock.MagicMock()  # S:sys_modules_test


def test_sys_modules_setitem(monkeypatch):
    monkeypatch.setitem(sys.modules, "pkg.extra", mock.MagicMock())  # S:sys_modules_setitem


def test_sys_modules_patch_dict():
    with patch.dict("sys.modules", {"pkg.extra": mock.MagicMock()}):  # S:sys_modules_patch_dict
        pass


@patch.object(Downloader, "_open", return_value="c")  # S:class_decorator
class TestClassLevel:
    def test_one(self, fake_open):
        assert Downloader().download_file("u") == "c"

    def test_two(self, fake_open):
        fake_open.assert_not_called()


@pytest.fixture(params=["helper", "compute"])
def replaced(request, monkeypatch):
    monkeypatch.setattr(core, request.param, lambda x: 0)  # S:param_fixture
    return request.param


def test_param(replaced):
    assert getattr(core, replaced)(1) == 0


async def test_async_mock():
    with patch.object(core, "fetch", new_callable=mock.AsyncMock) as fetch:  # S:async
        await core.fetch(1)
    fetch.assert_awaited_once_with(1)


def test_nested_class():
    with patch.object(Downloader.Inner, "run", return_value=2):  # S:nested
        assert Downloader.Inner().run() == 2


def test_patch_where_used():
    with patch("pkg.consumer.helper", return_value=7):  # S:where_used
        assert pkg.consumer.use().endswith("7")


class TestUnittestStyle(unittest.TestCase):
    def setUp(self):
        patcher = patch("pkg.core.helper")  # S:unittest_setup
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_it(self):
        core.compute(1)


def test_fails():
    raise AssertionError("a failing test does not spoil the census")
""",
    "tests/test_zz_after.py": """\
from pkg import core


def test_nothing_left():
    # Runs after every other module: no function-scoped replacement leaks into it.
    assert core.helper(2) == 4


def test_leaks():
    core.legacy = lambda: 1  # S:leak


def test_after_the_leak():
    # Never put back: the plain assignment applies to this test too.
    assert core.legacy() == 1
""",
}
