"""The census plugin and its cache, on real pytest runs of small projects written into tmp_path.

Every replacement style gets its exact record: test node id, dotted target, kind and file:line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate.causes.census import CACHE, Census, collect, failure_reason, load_or_collect, source_shape
from gate.causes.plugin import resolve_dotted
from gate.exit_code import RunError
from gate.model import Replacement
from tests.gate.census_fixture import FILES

pytestmark = pytest.mark.census


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def site(marker: str) -> str:
    """file:line of the fixture project's line tagged ``# S:<marker>``."""
    tag = f"# S:{marker}"
    for name, text in FILES.items():
        for number, line in enumerate(text.splitlines(), start=1):
            if line.rstrip().endswith(tag):
                return f"{name}:{number}"
    raise LookupError(marker)


@pytest.fixture(scope="module")
def census(tmp_path_factory: pytest.TempPathFactory) -> Census:
    root = write_project(tmp_path_factory.mktemp("census"), FILES)
    mp = pytest.MonkeyPatch()
    mp.setenv("GATE_CENSUS_PRESENT", "1")  # deleted by one of the project's tests
    try:
        return collect(root, ["tests"], log_path=root / "census.log")
    finally:
        mp.undo()


def records(census: Census, test: str) -> set[tuple[str, str, str, str]]:
    return {(r.target, r.kind, r.site, r.original) for r in census.of(test)}


# Made at import time of a test module: stays in sys.modules for the whole session.
IMPORT_TIME = ("pkg.optional", "sys.modules", site("import_time"), "")
# A patcher started at import time of a test module and never stopped: every test runs with it.
IMPORT_PATCH = ("pkg.extra.value", "patch.object", site("import_patch"), "")
S = "tests/test_styles.py::"
A = "tests/test_assign.py::"
F = "tests/test_mock_forms.py::"
M = "tests/test_mocker.py::"

EXPECTED: dict[str, set[tuple[str, str, str, str]]] = {
    "tests/auto/test_auto.py::test_uses_autouse": {
        ("pkg.core.Downloader._open", "patch.object", site("autouse"), ""),
        ("pkg.core.compute", "patch", site("started"), ""),
    },
    # Plain assignments of project functions, on a module, a class or an instance, in the test, a fixture
    # or a helper it calls; the store in `finally:` that puts the original back is not one.
    A + "test_assign_module": {("pkg.core.helper", "assignment", site("assign_module"), "")},
    A + "test_assign_class": {("pkg.core.Downloader._open", "assignment", site("assign_class"), "")},
    A + "test_assign_instance": {("pkg.core.Downloader._open", "assignment", site("assign_instance"), "")},
    A + "test_setattr_builtin": {
        ("pkg.core.Downloader._create_session", "setattr", site("setattr_builtin"), "")
    },
    A + "test_assign_in_helper": {
        ("pkg.core.Downloader._create_session", "assignment", site("assign_helper"), "")
    },
    A + "test_assign_in_fixture": {
        ("pkg.core.Downloader.download_file", "assignment", site("assign_fixture"), "")
    },
    A + "test_assign_data_is_not_a_fake": set(),
    # The store after `yield` puts back what the fixture saved: not a replacement.
    A + "test_assign_restored_after_yield": {
        ("pkg.core.Downloader._open", "assignment", site("assign_yield"), "")
    },
    "tests/test_import_time.py::test_after_import": set(),
    F + "test_patch_object_decorator": {
        ("pkg.core.Downloader._open", "patch.object", site("object_decorator"), "")
    },
    F + "test_patch_object_start_stop": {("pkg.core.helper", "patch.object", site("object_start"), "")},
    F + "test_patch_dict_decorator": {
        ("pkg.core.SETTINGS[retries]", "patch.dict", site("dict_decorator"), "")
    },
    F + "test_patch_dict_start_stop": {("pkg.core.SETTINGS[retries]", "patch.dict", site("dict_start"), "")},
    F + "test_patch_multiple_decorator": {
        ("pkg.core.helper", "patch.multiple", site("multiple_decorator"), "")
    },
    F + "test_patch_multiple_start_stop": {
        ("pkg.core.Downloader._open", "patch.multiple", site("multiple_start"), "")
    },
    F + "test_monkeypatch_delitem_and_context": {
        ("pkg.core.SETTINGS[retries]", "monkeypatch.delitem", site("delitem"), ""),
        ("pkg.core.helper", "monkeypatch.setattr", site("context"), ""),
    },
    # pytest-mock: its patches are told apart from unittest.mock's; a spy is recorded as one (it runs the
    # real code, so the classifier does not count it as hiding anything).
    M + "test_mocker_patch": {("pkg.core.helper", "mocker.patch", site("mocker_patch"), "")},
    M + "test_mocker_patch_object": {
        ("pkg.core.Downloader._open", "mocker.patch.object", site("mocker_patch_object"), "")
    },
    M + "test_mocker_patch_dict": {
        ("pkg.core.SETTINGS[retries]", "mocker.patch.dict", site("mocker_patch_dict"), "")
    },
    M + "test_mocker_patch_multiple": {
        ("pkg.core.helper", "mocker.patch.multiple", site("mocker_patch_multiple"), ""),
        ("pkg.core.compute", "mocker.patch.multiple", site("mocker_patch_multiple"), ""),
    },
    M + "test_mocker_spy": {("pkg.core.helper", "mocker.spy", site("mocker_spy"), "")},
    "tests/test_module_scope.py::test_a": {
        ("pkg.core.Downloader.norm", "patch.object", site("module_fixture"), "")
    },
    # A module-scoped fixture's patch is still in place for the next test of its module.
    "tests/test_module_scope.py::test_b": {
        ("pkg.core.Downloader.norm", "patch.object", site("module_fixture"), "")
    },
    S + "test_plain": set(),
    S + "test_setattr_class": {
        ("pkg.core.Downloader._open", "monkeypatch.setattr", site("setattr_class"), "")
    },
    S + "test_setattr_string": {("pkg.core.helper", "monkeypatch.setattr", site("setattr_string"), "")},
    S + "test_setattr_instance": {
        ("pkg.core.Downloader.download_file", "monkeypatch.setattr", site("setattr_instance"), "")
    },
    S + "test_delattr": {("pkg.core.compute", "monkeypatch.delattr", site("delattr"), "")},
    S + "test_setitem_and_env": {
        ("pkg.core.SETTINGS[retries]", "monkeypatch.setitem", site("setitem"), ""),
        ("os.environ[GATE_X]", "monkeypatch.setenv", site("setenv"), ""),
        ("os.environ[GATE_CENSUS_PRESENT]", "monkeypatch.delenv", site("delenv"), ""),
    },
    # Patched where it is looked up: the record names the place and the class it held.
    S + "test_patch_string": {
        ("pkg.consumer.Downloader", "patch", site("patch_string"), "pkg.core.Downloader")
    },
    S + "test_patch_object_instance": {
        ("pkg.core.Downloader.download_file", "patch.object", site("patch_object"), "")
    },
    S + "test_patch_multiple": {
        ("pkg.core.helper", "patch.multiple", site("patch_multiple"), ""),
        ("pkg.core.compute", "patch.multiple", site("patch_multiple"), ""),
    },
    S + "test_patch_decorator": {("pkg.core.helper", "patch", site("patch_decorator"), "")},
    S + "test_patch_dict_environ_clear": {
        ("os.environ", "patch.dict(clear=True)", site("patch_dict_clear"), ""),
        ("os.environ[A]", "patch.dict", site("patch_dict_clear"), ""),
    },
    S + "test_patch_dict_settings": {("pkg.core.SETTINGS[retries]", "patch.dict", site("patch_dict"), "")},
    S + "test_environ_clear": {("os.environ", "os.environ.clear", site("environ_clear"), "")},
    S + "test_sys_modules_fixture": {("pkg.extra", "sys.modules", site("sys_modules_fixture"), "")},
    S + "test_sys_modules_in_test": {("pkg.extra", "sys.modules", site("sys_modules_test"), "")},
    S + "test_sys_modules_setitem": {("pkg.extra", "monkeypatch.setitem", site("sys_modules_setitem"), "")},
    S + "test_sys_modules_patch_dict": {("pkg.extra", "patch.dict", site("sys_modules_patch_dict"), "")},
    S + "TestClassLevel::test_one": {
        ("pkg.core.Downloader._open", "patch.object", site("class_decorator"), "")
    },
    S + "TestClassLevel::test_two": {
        ("pkg.core.Downloader._open", "patch.object", site("class_decorator"), "")
    },
    S + "test_param[helper]": {("pkg.core.helper", "monkeypatch.setattr", site("param_fixture"), "")},
    S + "test_param[compute]": {("pkg.core.compute", "monkeypatch.setattr", site("param_fixture"), "")},
    S + "test_async_mock": {("pkg.core.fetch", "patch.object", site("async"), "")},
    S + "test_nested_class": {("pkg.core.Downloader.Inner.run", "patch.object", site("nested"), "")},
    S + "test_patch_where_used": {("pkg.consumer.helper", "patch", site("where_used"), "pkg.core.helper")},
    S + "TestUnittestStyle::test_it": {("pkg.core.helper", "patch", site("unittest_setup"), "")},
    S + "test_fails": set(),
    "tests/test_zz_after.py::test_nothing_left": set(),
    "tests/test_zz_after.py::test_leaks": {("pkg.core.legacy", "assignment", site("leak"), "")},
    "tests/test_zz_after.py::test_after_the_leak": {("pkg.core.legacy", "assignment", site("leak"), "")},
}


def test_census_lists_every_test_with_node_ids_as_mutmut_spells_them(census: Census) -> None:
    assert census.tests == list(EXPECTED)


@pytest.mark.parametrize("test", list(EXPECTED))
def test_census_records_exactly_the_replacements_active_in_each_test(census: Census, test: str) -> None:
    assert records(census, test) == EXPECTED[test] | {IMPORT_TIME, IMPORT_PATCH}
    assert all(r.test == test for r in census.of(test))


def test_census_survives_a_failing_test(census: Census) -> None:
    assert census.exit_status == 1
    assert census.duration_s > 0


def test_census_json_round_trip(census: Census) -> None:
    again = Census.from_json(json.loads(json.dumps(census.to_json())))
    assert again.tests == census.tests
    assert again.replacements == census.replacements
    assert Replacement(
        S + "test_patch_string",
        "pkg.consumer.Downloader",
        "patch",
        site("patch_string"),
        "pkg.core.Downloader",
    ) in again.of(S + "test_patch_string")


def test_census_of_an_unknown_test_is_empty(census: Census) -> None:
    assert census.of("tests/nowhere.py::test_x") == []


SMALL = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def double(x):\n    return 2 * x\n",
    "tests/__init__.py": "",
    "tests/test_mod.py": (
        "from pkg import mod\n\n\n"
        "def test_double(monkeypatch):\n"
        "    monkeypatch.setattr(mod, 'double', lambda x: 0)\n"
        "    assert mod.double(2) == 0\n"
    ),
}


def test_load_or_collect_runs_once_and_reuses_the_cache_until_a_file_changes(tmp_path: Path) -> None:
    root = write_project(tmp_path, SMALL)
    log = tmp_path / "census.log"

    def census_again(lines_for: list[str] | None = None) -> tuple[Census, bool]:
        log.unlink(missing_ok=True)
        census = load_or_collect(root, ["tests"], ["pkg"], log_path=log, lines_for=lines_for)
        return census, log.exists()

    def reason() -> str:
        return log.read_text().splitlines()[-1]

    first, ran = census_again()
    assert ran and reason() == "gate: census rebuilt: no cached census"
    assert [(r.test, r.target, r.kind, r.site) for r in first.replacements] == [
        ("tests/test_mod.py::test_double", "pkg.mod.double", "monkeypatch.setattr", "tests/test_mod.py:5")
    ]
    assert json.loads((root / CACHE).read_text())["fingerprint"] == first.fingerprint

    again, ran = census_again()
    assert not ran  # served from .gate/census.json
    assert again.replacements == first.replacements

    assert first.lines == {}  # the only test replaces `double`: no line of pkg/ runs
    assert first.sources == {"pkg/__init__.py": "e3b0c44298fc1c14", "pkg/mod.py": "0992f2f8cc75665f"}

    # A function body edit (the usual step between two checks) leaves what the census sees unchanged: no
    # run while no survivor is in the edited file; one (for its lines) when a survivor is.
    (root / "pkg" / "mod.py").write_text("def double(x):\n    return x + x\n")
    body_edit, ran = census_again(lines_for=[])
    assert not ran and body_edit.fingerprint == first.fingerprint
    body_edit, ran = census_again(lines_for=["pkg/mod.py"])
    assert ran and body_edit.fingerprint == first.fingerprint
    assert body_edit.sources["pkg/mod.py"] != first.sources["pkg/mod.py"]

    # A new function, a test edit or a conftest above the tests: the census runs again.
    (root / "pkg" / "mod.py").write_text(
        "def double(x):\n    return x + x\n\n\ndef triple(x):\n    return 3 * x\n"
    )
    new_function, ran = census_again()
    assert ran and new_function.fingerprint != first.fingerprint
    assert reason() == "gate: census rebuilt: 1 input(s): pkg/mod.py changed"
    (root / "tests" / "test_mod.py").write_text(
        SMALL["tests/test_mod.py"] + "\n\ndef test_more():\n    pass\n"
    )
    test_edit, ran = census_again()
    assert ran and test_edit.tests == ["tests/test_mod.py::test_double", "tests/test_mod.py::test_more"]
    assert reason() == "gate: census rebuilt: 1 input(s): tests/test_mod.py changed"
    (root / "conftest.py").write_text("")
    _, ran = census_again()
    assert ran and reason() == "gate: census rebuilt: 1 input(s): conftest.py changed"


def test_a_suite_that_writes_into_its_test_folder_is_served_from_the_cache_next_time(tmp_path: Path) -> None:
    writing = (
        "import time\nfrom pathlib import Path\n\n\n"
        "def test_writes():\n"
        "    Path(__file__).with_name('generated.py').write_text(f'STAMP = {time.time_ns()}\\n')\n"
    )
    root = write_project(tmp_path, {**SMALL, "tests/test_writes.py": writing})
    log = tmp_path / "census.log"
    first = load_or_collect(root, ["tests"], ["pkg"], log_path=log)
    assert log.read_text().splitlines()[-1] == (
        "gate: census rebuilt: no cached census; the suite changed 1 input(s): tests/generated.py while it ran "
        "(the cache keeps them as it left them)"
    )
    log.unlink()
    again = load_or_collect(root, ["tests"], ["pkg"], log_path=log)
    assert not log.exists() and again.fingerprint == first.fingerprint


def test_files_that_change_on_every_run_are_no_input_of_the_census(tmp_path: Path) -> None:
    root = write_project(tmp_path, SMALL)
    log = tmp_path / "census.log"
    first = load_or_collect(root, ["tests"], ["."], log_path=log)
    # mutmut's copy of the project, the gate's own folder, environments and caches under a source path.
    for name in (
        "mutants/pkg/mod.py",
        "mutants/tests/test_mod.py",
        ".gate/x.py",
        ".venv/lib/y.py",
        "venv/z.py",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("def changed_every_run():\n    pass\n")
    log.unlink()
    again = load_or_collect(root, ["tests"], ["."], log_path=log)
    assert not log.exists() and again.fingerprint == first.fingerprint
    assert sorted(again.inputs) == [
        "<census plugin>",
        "<settings>",
        "pkg/__init__.py",
        "pkg/mod.py",
        "tests/__init__.py",
        "tests/test_mod.py",
    ]


def test_source_shape_ignores_bodies_and_sees_names_imports_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "m.py"

    def shape(text: str) -> bytes:
        path.write_text(text)
        return source_shape(path)

    base = shape("import os\nLIMIT = 3\n\n\nclass A(B):\n    def f(self):\n        return 1\n")
    assert (
        shape("import os\nLIMIT = 4\n\n\nclass A(B):\n    def f(self):\n        return 2  # edited\n") == base
    )
    assert shape("import os\nLIMIT = 3\n\n\nclass A(B):\n    def g(self):\n        return 1\n") != base
    assert shape("import sys\nLIMIT = 3\n\n\nclass A(B):\n    def f(self):\n        return 1\n") != base
    assert shape("import os\nLIMIT = 3\n\n\nclass A(C):\n    def f(self):\n        return 1\n") != base
    assert shape("import os\nLIMIT = os.sep\n\n\nclass A(B):\n    def f(self):\n        return 1\n") != base
    assert shape("def broken(:\n") != shape("def broken(:\n    pass\n")  # unparsable: by content


def test_load_or_collect_rebuilds_an_unreadable_cache(tmp_path: Path) -> None:
    root = write_project(tmp_path, SMALL)
    (root / CACHE).parent.mkdir()
    (root / CACHE).write_text("{not json")
    census = load_or_collect(root, ["tests"], ["pkg"], log_path=tmp_path / "census.log")
    assert [r.target for r in census.replacements] == ["pkg.mod.double"]
    assert Census.from_json(json.loads((root / CACHE).read_text())).fingerprint == census.fingerprint


def test_collect_raises_a_run_error_naming_the_log_when_pytest_cannot_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, SMALL)
    log = tmp_path / "census.log"
    with pytest.raises(RunError, match=r"pytest exit 4.*census\.log"):
        collect(root, ["tests/missing"], log_path=log)
    assert "tests/missing" in log.read_text()


# Calls that change nothing (raising=False on what is absent) hide nothing; the dotted-string forms of
# setattr and delattr resolve to the same owner as the object forms.
NO_OPS = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "SETTINGS = {'a': 1}\n\n\ndef double(x):\n    return 2 * x\n\n\nclass Box:\n    def size(self):\n        return 1\n",
    "tests/__init__.py": "",
    "tests/test_no_ops.py": (
        "from pkg import mod\n\n\n"
        "def test_absent(monkeypatch):\n"
        "    monkeypatch.delattr(mod, 'nothere', raising=False)\n"
        "    monkeypatch.delitem(mod.SETTINGS, 'absent', raising=False)\n"
        "    monkeypatch.delenv('GATE_SURELY_UNSET_VARIABLE', raising=False)\n\n\n"
        "def test_strings(monkeypatch):\n"
        "    monkeypatch.setattr('pkg.mod.Box.size', lambda self: 0)\n"
        "    monkeypatch.delattr('pkg.mod.double')\n"
        "    monkeypatch.setattr(mod, 'absent_before', 1, raising=False)\n"
    ),
}


def test_no_op_calls_record_nothing_and_string_targets_resolve(tmp_path: Path) -> None:
    root = write_project(tmp_path, NO_OPS)
    census = collect(root, ["tests"], log_path=tmp_path / "census.log")
    assert records(census, "tests/test_no_ops.py::test_absent") == set()
    assert records(census, "tests/test_no_ops.py::test_strings") == {
        ("pkg.mod.Box.size", "monkeypatch.setattr", "tests/test_no_ops.py:11", ""),
        ("pkg.mod.double", "monkeypatch.delattr", "tests/test_no_ops.py:12", ""),
        ("pkg.mod.absent_before", "monkeypatch.setattr", "tests/test_no_ops.py:13", ""),
    }


def test_collect_with_a_sample_runs_only_the_first_tests_and_counts_all(tmp_path: Path) -> None:
    root = write_project(tmp_path, NO_OPS)
    census = collect(root, ["tests"], log_path=tmp_path / "census.log", sample=1)
    assert census.tests == ["tests/test_no_ops.py::test_absent"]
    assert census.collected == 2


def test_a_census_plugin_that_cannot_load_is_a_run_error_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(
        tmp_path, {**SMALL, "broken_census.py": "raise ImportError('census broken on purpose')\n"}
    )
    monkeypatch.setenv("GATE_CENSUS_PLUGIN", "broken_census")
    with pytest.raises(RunError) as caught:
        collect(root, ["tests"], log_path=root / ".gate" / "census.log")
    # pytest 8 and 9 word the plugin's import error differently, and exit 1 or 3.
    assert re.fullmatch(
        r"the mock census could not run \(pytest exit [13]: ImportError: (Error importing plugin "
        r'"broken_census": )?census broken on purpose\); see \.gate/census\.log',
        str(caught.value),
    ), str(caught.value)


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        (
            "Traceback (most recent call last):\n  File 'x'\nImportError: cannot import name 'notset' from "
            "'_pytest.monkeypatch'\n",
            "ImportError: cannot import name 'notset' from '_pytest.monkeypatch'",
        ),
        (
            "E   ModuleNotFoundError: No module named 'pkg'\n\n=== 1 error in 0.1s ===\n",
            "ModuleNotFoundError: No module named 'pkg'",
        ),
        (
            "ERROR: file or directory not found: tests/missing\n\n",
            "ERROR: file or directory not found: tests/missing",
        ),
        ("", "no output"),
    ],
)
def test_failure_reason_is_the_last_exception_else_the_last_line(log: str, reason: str) -> None:
    assert failure_reason(log) == reason


def test_resolve_dotted_finds_the_owner_as_monkeypatch_does() -> None:
    import os.path

    assert resolve_dotted("os.path.join") == (os.path, "join")
    assert resolve_dotted("gate.causes.census.Census.of") == (Census, "of")
    assert resolve_dotted("nosuchmodule_anywhere.x") is None
    assert resolve_dotted("gate.causes.census.NoSuch.x") is None
    assert resolve_dotted("plain") is None
