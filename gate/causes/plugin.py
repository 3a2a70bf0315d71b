"""Census plugin: records every replacement (monkeypatch, mock.patch, mocker, sys.modules entry, plain assignment
of a project function) active while each test runs.

With ``--gate-census-lines`` it also records, in the same run, which lines of the mutated sources each test
executes (coverage.py, one dynamic context per test). Loaded only by the gate (``python -m pytest -p gate.causes.plugin --gate-census-out FILE``), never auto-loaded.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
from pytest import MonkeyPatch

SCHEMA = "gate-census-run/1"
THIS_FILE = os.path.normcase(os.path.abspath(__file__))


class Recorder:
    """The census state of one pytest session: active replacements and what each test saw."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: str | None = None  # node id of the running test
        self.active: dict[int, dict[str, str]] = {}  # token -> record, for replacements not undone yet
        self.per_test: dict[str, dict[tuple[str, ...], dict[str, str]]] = {}
        self.order: list[str] = []  # node ids, in the order they ran
        self._next = 0
        self.quiet = 0  # >0 while the plugin's own wrappers call each other (setenv -> setitem)
        self._user_file: dict[str, bool] = {}
        self.collected = 0  # tests collected, before a --gate-census-sample cut

    # -- records ------------------------------------------------------------------
    def add(self, target: str, kind: str, site: str, original: str = "") -> int | None:
        """Record a replacement that stays until ``remove(token)``; None (nothing kept) when no code of
        the project made it (pytest's and its plugins' own patching is not the suite's)."""
        if not site:
            return None
        record = self._record(target, kind, site, original)
        self._next += 1
        self.active[self._next] = record
        if self.current is not None:
            self._see(self.current, record)
        return self._next

    def note(self, target: str, kind: str, site: str) -> None:
        """Record a one-off change (``os.environ.clear()``): it belongs to the running test only."""
        if site and self.current is not None:
            self._see(self.current, self._record(target, kind, site, ""))

    @staticmethod
    def _record(target: str, kind: str, site: str, original: str) -> dict[str, str]:
        record = {"target": target, "kind": kind, "site": site}
        if original and original != target:
            record["original"] = original
        return record

    def remove(self, token: int | None) -> None:
        if token is not None:
            self.active.pop(token, None)

    def _see(self, test: str, record: dict[str, str]) -> None:
        key = (record["target"], record["kind"], record["site"], record.get("original", ""))
        self.per_test.setdefault(test, {}).setdefault(key, record)

    def start_test(self, nodeid: str) -> None:
        self.current = nodeid
        self.order.append(nodeid)
        self.per_test.setdefault(nodeid, {})
        # Replacements still active from earlier (module/session fixtures, collection) apply to this test too.
        for record in self.active.values():
            self._see(nodeid, record)

    def end_test(self) -> None:
        self.current = None

    def to_json(self, exit_status: int) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "exit_status": exit_status,
            "collected": self.collected,
            "tests": list(dict.fromkeys(self.order)),
            "replacements": [
                {"test": test, **record}
                for test in dict.fromkeys(self.order)
                for record in sorted(
                    self.per_test.get(test, {}).values(), key=lambda r: (r["site"], r["target"], r["kind"])
                )
            ],
        }

    # -- sites ----------------------------------------------------------------------
    def site(self, skip: int = 2) -> str:
        """file:line of the first frame in the project's own code (a test, a fixture, a helper); "" if none."""
        frame = sys._getframe(skip)
        while frame is not None:
            filename = frame.f_code.co_filename
            if self._is_user(filename):
                return f"{self.relative(filename)}:{frame.f_lineno}"
            frame = frame.f_back
        return ""

    def relative(self, filename: str) -> str:
        try:
            return Path(filename).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return filename

    def _is_user(self, filename: str) -> bool:
        known = self._user_file.get(filename)
        if known is None:
            path = os.path.normcase(os.path.abspath(filename))
            known = (
                not filename.startswith("<")
                and path != THIS_FILE
                and path.startswith(os.path.normcase(str(self.root)) + os.sep)
                and "site-packages" not in path
                and "dist-packages" not in path
            )
            self._user_file[filename] = known
        return known


REC = Recorder(Path.cwd().resolve())


# -- naming ---------------------------------------------------------------------------
def dotted(obj: object) -> str | None:
    """The importable dotted name of a module, class or function; None for anything else."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if inspect.ismethod(obj):
        obj = obj.__func__
    if isinstance(obj, ModuleType):
        return obj.__name__
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
            return f"{module}.{qualname}"
    return None


def owner_name(owner: object) -> str:
    """Dotted name of what an attribute is set on: a module, a class, or an instance's class."""
    name = dotted(owner)
    if name is not None:
        return name
    cls = type(owner)
    return f"{cls.__module__}.{cls.__qualname__}"


def dict_name(mapping: object) -> str:
    """Dotted name of a mapping: os.environ, sys.modules, or a module-level dict found by identity."""
    if mapping is os.environ:
        return "os.environ"
    if mapping is sys.modules:
        return "sys.modules"
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attr, value in list(namespace.items()):
            if value is mapping and not attr.startswith("__"):
                return f"{module_name}.{attr}"
    return f"<{type(mapping).__name__}>"


def item_target(mapping: object, key: object, name: str | None = None) -> str:
    """The target of one dict entry: the module name for sys.modules, else ``dict[key]``."""
    if mapping is sys.modules and isinstance(key, str):
        return key
    label = key if isinstance(key, str) else repr(key)
    return f"{name or dict_name(mapping)}[{label}]"


# -- monkeypatch ------------------------------------------------------------------------
# Only MonkeyPatch's public methods and their documented signatures are used: pytest's private
# bookkeeping (``_setattr``, ``_setitem``, the ``notset`` sentinel) changes between releases (9.1 dropped
# ``notset``), and a census that cannot load would silently cost every survivor its cause.
_ABSENT = object()


def _tokens(obj: object) -> list[int | None]:
    return obj.__dict__.setdefault("_gate_census_tokens", [])


def resolve_dotted(path: str) -> tuple[object, str] | None:
    """(owner, attribute) of ``"pkg.mod.Class.attr"`` as ``monkeypatch.setattr("pkg.mod.attr", v)``
    resolves it: the longest importable module prefix, then attributes; None when it does not resolve."""
    parts = path.split(".")
    if len(parts) < 2:
        return None
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            owner: object = importlib.import_module(module_name)
        except ImportError:
            continue
        except Exception:  # a module that fails on import: monkeypatch itself will report it
            return None
        try:
            for attr in parts[cut:-1]:
                owner = getattr(owner, attr)
        except AttributeError:
            return None
        return owner, parts[-1]
    return None


def _attr_subject(
    orig: Callable[..., None], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[object, str] | None:
    """What a setattr/delattr call changes, from its public signature: ``(target, name, ...)`` or the
    dotted-string form ``("pkg.mod.attr", ...)``."""
    try:
        bound = inspect.signature(orig).bind(None, *args, **kwargs)
    except TypeError:
        return None  # a wrong call: monkeypatch raises its own error for it
    target = bound.arguments.get("target")
    name = bound.arguments.get("name", _ABSENT)
    # setattr("pkg.mod.attr", value) leaves `value` unbound; delattr("pkg.mod.attr") leaves `name` unbound.
    has_value = "value" in inspect.signature(orig).parameters
    if ("value" not in bound.arguments) if has_value else name is _ABSENT:
        return resolve_dotted(target) if isinstance(target, str) else None
    return (target, name) if isinstance(name, str) else None


def _current(owner: object, name: str) -> object:
    """The value ``name`` has on ``owner``, as a replacement would hide it: a class's own entry (its
    staticmethod or classmethod object) first, then what lookup finds through the bases."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if name in klass.__dict__:
                return klass.__dict__[name]
        return _ABSENT
    return getattr(owner, name, _ABSENT)


def _wrap_monkeypatch() -> None:
    orig_setattr, orig_delattr = MonkeyPatch.setattr, MonkeyPatch.delattr
    orig_setitem, orig_delitem = MonkeyPatch.setitem, MonkeyPatch.delitem
    orig_setenv, orig_delenv, orig_undo = MonkeyPatch.setenv, MonkeyPatch.delenv, MonkeyPatch.undo

    def attr_wrapper(orig: Callable[..., None], kind: str) -> Callable[..., None]:
        def wrapper(self: MonkeyPatch, *args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            subject = None if REC.quiet else _attr_subject(orig, args, kwargs)
            old = _current(*subject) if subject is not None else _ABSENT
            orig(self, *args, **kwargs)
            if subject is None or (kind == "monkeypatch.delattr" and old is _ABSENT):
                return  # nothing was there to delete (raising=False): nothing is hidden
            owner, name = subject
            original = "" if old is _ABSENT else dotted(old) or ""
            _tokens(self).append(REC.add(f"{owner_name(owner)}.{name}", kind, REC.site(), original))

        wrapper.__wrapped__ = orig  # type: ignore[attr-defined]
        return wrapper

    def item_wrapper(orig: Callable[..., None], kind: str) -> Callable[..., None]:
        environ = kind in ("monkeypatch.setenv", "monkeypatch.delenv")
        deleting = kind in ("monkeypatch.delitem", "monkeypatch.delenv")

        def wrapper(self: MonkeyPatch, *args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            try:
                bound = inspect.signature(orig).bind(None, *args, **kwargs)
            except TypeError:
                bound = None
            mapping: Any = os.environ if environ else (bound.arguments.get("dic") if bound else None)
            key = bound.arguments.get("name") if bound else None
            present = mapping is not None and key is not None and _contains(mapping, key)
            REC.quiet += 1
            try:
                orig(self, *args, **kwargs)
            finally:
                REC.quiet -= 1
            if REC.quiet or mapping is None or key is None or (deleting and not present):
                return
            if kind == "monkeypatch.delitem" and mapping is sys.modules:
                # Dropping a module makes the next import load the real code again: nothing is hidden.
                target = f"sys.modules[{key}]"
            else:
                target = item_target(mapping, str(key) if environ else key)
            _tokens(self).append(REC.add(target, kind, REC.site()))

        wrapper.__wrapped__ = orig  # type: ignore[attr-defined]
        return wrapper

    def undo(self: MonkeyPatch) -> None:
        orig_undo(self)
        for token in _tokens(self):
            REC.remove(token)
        _tokens(self).clear()

    MonkeyPatch.setattr = attr_wrapper(orig_setattr, "monkeypatch.setattr")  # type: ignore[method-assign,assignment]
    MonkeyPatch.delattr = attr_wrapper(orig_delattr, "monkeypatch.delattr")  # type: ignore[method-assign,assignment]
    MonkeyPatch.setitem = item_wrapper(orig_setitem, "monkeypatch.setitem")  # type: ignore[method-assign]
    MonkeyPatch.delitem = item_wrapper(orig_delitem, "monkeypatch.delitem")  # type: ignore[method-assign]
    MonkeyPatch.setenv = item_wrapper(orig_setenv, "monkeypatch.setenv")  # type: ignore[method-assign]
    MonkeyPatch.delenv = item_wrapper(orig_delenv, "monkeypatch.delenv")  # type: ignore[method-assign]
    MonkeyPatch.undo = undo  # type: ignore[method-assign]


def _contains(mapping: Any, key: object) -> bool:
    try:
        return key in mapping
    except Exception:
        return False


# -- unittest.mock ----------------------------------------------------------------------
# Which public helper built a patcher, by the code object of the frame that called its __init__.
_PATCH_KINDS = {
    getattr(mock.patch.object, "__code__", None): "patch.object",
    getattr(mock.patch.multiple, "__code__", None): "patch.multiple",
}


# pytest-mock's ``mocker`` builds unittest.mock patchers; its ``spy`` is a patch.object whose side effect calls
# the real function, so the code still runs: the classifier does not count a spy as hiding it.
SPY = "mocker.spy"


def _mocker_kind(kind: str) -> str:
    """``mocker.<kind>`` when pytest-mock's ``mocker`` builds the patcher being made, ``mocker.spy`` for its
    spy, else ``kind``: read from the calling frames' module names (a few frames up; pytest-mock is not
    imported)."""
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            break
        if str(frame.f_globals.get("__name__", "")).startswith("pytest_mock"):
            return SPY if _spying(frame) else f"mocker.{kind}"
        frame = frame.f_back
    return kind


def _spying(frame: Any) -> bool:
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("pytest_mock"):
        if frame.f_code.co_name == "spy":
            return True
        frame = frame.f_back
    return False


class CensusUnsupported(ImportError):
    """This Python's unittest.mock or this pytest lacks what the census hooks into: the plugin refuses to
    load, so the run fails loudly instead of reporting survivors without their causes."""


def _patcher_classes() -> tuple[Any, Any]:
    """The classes behind ``mock.patch`` and ``mock.patch.dict``.

    unittest.mock exposes no public class for them; ``patch`` and ``patch.dict`` are functions whose
    results are instances of the private ``_patch``/``_patch_dict``, unchanged from Python 3.8 to 3.13.
    They are found through the public functions' results rather than imported by name, and every method
    the census wraps is checked here, at import."""
    patch_cls: Any = type(mock.patch("os.getcwd"))
    dict_cls: Any = type(mock.patch.dict({}))
    needed = {
        patch_cls: ("__init__", "copy", "__enter__", "__exit__"),
        dict_cls: ("__init__", "_patch_dict", "_unpatch_dict"),
    }
    for cls, names in needed.items():
        missing = [name for name in names if not callable(getattr(cls, name, None))]
        if missing:
            raise CensusUnsupported(
                f"gate census: unittest.mock.{cls.__name__} of Python {sys.version.split()[0]} has no "
                f"{', '.join(missing)}; this Python is not supported by the census"
            )
    return patch_cls, dict_cls


def _wrap_mock() -> None:
    patch_cls, dict_cls = _patcher_classes()
    orig_init, orig_copy = patch_cls.__init__, patch_cls.copy
    orig_enter, orig_exit = patch_cls.__enter__, patch_cls.__exit__
    orig_dict_init, orig_patch_dict, orig_unpatch_dict = (
        dict_cls.__init__,
        dict_cls._patch_dict,
        dict_cls._unpatch_dict,
    )

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        # Where the patcher was written: for decorators that is the decorator line, not the call site.
        self._gate_site = REC.site()
        self._gate_kind = _mocker_kind(_PATCH_KINDS.get(sys._getframe(1).f_code, "patch"))

    def copy(self: Any) -> Any:
        patcher = orig_copy(self)
        patcher._gate_site = getattr(self, "_gate_site", patcher._gate_site)
        patcher._gate_kind = getattr(self, "_gate_kind", patcher._gate_kind)
        return patcher

    def enter(self: Any) -> Any:
        result = orig_enter(self)
        original = self.temp_original
        original_name = "" if original is mock.DEFAULT else dotted(original) or ""
        target = f"{owner_name(self.target)}.{self.attribute}"
        if self.target is os and self.attribute == "environ":
            target = "os.environ"
        self._gate_token = REC.add(
            target, getattr(self, "_gate_kind", "patch"), getattr(self, "_gate_site", ""), original_name
        )
        return result

    def exit(self: Any, *exc_info: Any) -> Any:
        REC.remove(getattr(self, "_gate_token", None))
        self._gate_token = None
        return orig_exit(self, *exc_info)

    def dict_init(self: Any, in_dict: Any, *args: Any, **kwargs: Any) -> None:
        orig_dict_init(self, in_dict, *args, **kwargs)
        self._gate_site = REC.site()
        self._gate_kind = _mocker_kind("patch.dict")
        self._gate_name = in_dict if isinstance(in_dict, str) else None

    def patch_dict(self: Any) -> None:
        REC.quiet += 1
        try:
            orig_patch_dict(self)
        finally:
            REC.quiet -= 1
        mapping, site = self.in_dict, getattr(self, "_gate_site", "")
        name = (
            "sys.modules"
            if mapping is sys.modules
            else getattr(self, "_gate_name", None) or dict_name(mapping)
        )
        tokens = self.__dict__.setdefault("_gate_tokens", [])
        kind = getattr(self, "_gate_kind", "patch.dict")
        if self.clear:
            tokens.append(REC.add(name, f"{kind}(clear=True)", site))
        for key in self.values:
            tokens.append(REC.add(item_target(mapping, key, name), kind, site))
        if not self.clear and not self.values:
            tokens.append(REC.add(name, kind, site))

    def unpatch_dict(self: Any) -> None:
        for token in self.__dict__.pop("_gate_tokens", []):
            REC.remove(token)
        REC.quiet += 1
        try:
            orig_unpatch_dict(self)
        finally:
            REC.quiet -= 1

    patch_cls.__init__, patch_cls.copy = init, copy
    patch_cls.__enter__, patch_cls.__exit__ = enter, exit
    dict_cls.__init__, dict_cls._patch_dict, dict_cls._unpatch_dict = dict_init, patch_dict, unpatch_dict


# -- os.environ.clear() -------------------------------------------------------------------
def _wrap_environ_clear() -> None:
    environ: Any = os.environ
    orig_clear = environ.clear

    def clear() -> None:
        if not REC.quiet:
            REC.note("os.environ", "os.environ.clear", REC.site())
        orig_clear()

    environ.clear = clear


# -- raw sys.modules assignments ---------------------------------------------------------
def is_fake_module(value: object) -> bool:
    """A sys.modules entry that no import produced: not a module, or a module built by hand."""
    return not isinstance(value, ModuleType) or getattr(value, "__spec__", None) is None


class ModulesWatch:
    """Finds ``sys.modules[name] = fake`` by comparing snapshots; such stores cannot be intercepted."""

    def __init__(self) -> None:
        self.snapshot: dict[str, object] = dict(sys.modules)
        self.tokens: dict[str, tuple[int, int]] = {}  # module name -> (token, id of the fake)
        self._trees: dict[Path, list[tuple[str | None, int]]] = {}

    def check(self, candidates: Callable[[], Iterator[tuple[Path, int, float]]], fallback: str) -> None:
        current = sys.modules
        # The usual case, compared in C (modules compare by identity); a fake whose __eq__ fails is
        # compared one by one below.
        with contextlib.suppress(Exception):
            if current == self.snapshot:
                return
        for name, (token, fake_id) in list(self.tokens.items()):
            if id(current.get(name)) != fake_id:
                REC.remove(token)
                del self.tokens[name]
        for name, value in list(current.items()):
            before = self.snapshot.get(name)
            if before is value or name in self.tokens or not is_fake_module(value):
                continue
            if any(r["target"] == name for r in REC.active.values()):
                continue  # made through monkeypatch.setitem or patch.dict: already recorded
            site = self.find_site(name, candidates())
            if not site and before is None:
                continue  # a new entry no store in the tests explains: made by a library, not a test
            self.tokens[name] = (REC.add(name, "sys.modules", site or fallback), id(value))
        self.snapshot = dict(current)

    def find_site(self, name: str, spans: Iterator[tuple[Path, int, float]]) -> str:
        """The line that stored ``name``: a literal key wins, else the first store with a computed key."""
        loose = ""
        for path, first, last in spans:
            for key, line in self._stores(path):
                if not first <= line <= last:
                    continue
                if key == name:
                    return f"{REC.relative(str(path))}:{line}"
                if key is None and not loose:
                    loose = f"{REC.relative(str(path))}:{line}"
        return loose

    def _stores(self, path: Path) -> list[tuple[str | None, int]]:
        """(key or None when not a literal, line) of every ``sys.modules[...] = ...`` in a file."""
        if path not in self._trees:
            found: list[tuple[str | None, int]] = []
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                tree = ast.Module(body=[], type_ignores=[])
            for node in ast.walk(tree):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Attribute)
                        and target.value.attr == "modules"
                        and isinstance(target.value.value, ast.Name)
                        and target.value.value.id == "sys"
                    ):
                        key = target.slice.value if isinstance(target.slice, ast.Constant) else None
                        found.append((key if isinstance(key, str) else None, node.lineno))
            self._trees[path] = found
        return self._trees[path]


WATCH = ModulesWatch()


Span = tuple[Path, int, float]  # a file and a range of its lines


def _span(func: object) -> Span | None:
    code = getattr(inspect.unwrap(func), "__code__", None) if callable(func) else None
    if code is None or not REC._is_user(code.co_filename):
        return None
    last = max((line for _, _, line in code.co_lines() if line), default=code.co_firstlineno)
    return Path(code.co_filename), code.co_firstlineno, last


def _item_spans(item: pytest.Item, phase: str) -> Iterator[Span]:
    """Where a store made in this phase may be written, most precise first: the test function (call)
    or its fixtures (setup, teardown); then the whole test file and its conftests."""
    yield from _own_spans(item, phase)
    yield Path(item.path), 0, float("inf")
    for parent in Path(item.path).parents:
        conftest = parent / "conftest.py"
        if conftest.is_file():
            yield conftest, 0, float("inf")
        if parent == REC.root:
            break


def _own_spans(item: pytest.Item, phase: str) -> Iterator[Span]:
    """The code a phase runs that the test file itself wrote: the test function (call), its fixtures (setup)."""
    funcs = [getattr(item, "obj", None)] if phase == "call" else _fixture_functions(item)
    for func in funcs:
        span = _span(func)
        if span is not None:
            yield span


def _fixture_functions(item: pytest.Item) -> list[object]:
    """The functions of the fixtures a test uses. pytest has no public accessor for them: its
    ``_fixtureinfo`` (present from pytest 8.0 to 9.x) is read when it is there; without it the sites of
    fixture stores fall back to the whole test file and its conftests, which `_item_spans` yields next."""
    info = getattr(item, "_fixtureinfo", None)
    defs_by_name = getattr(info, "name2fixturedefs", None)
    if not isinstance(defs_by_name, dict):
        return []
    return [getattr(d, "func", None) for defs in defs_by_name.values() for d in defs]


def _collected_spans() -> Iterator[Span]:
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename and REC._is_user(filename):
            name = Path(filename).name
            if name == "conftest.py" or name.startswith("test"):
                yield Path(filename), 0, float("inf")


# -- plain assignments ------------------------------------------------------------------
# ``obj.method = fake``, ``Class.method = fake``, ``module.func = fake`` and ``setattr(obj, "name", fake)``
# go through no function the census can wrap, and an instance's attributes cannot be snapshotted. The test
# code is read instead (once per file): every such store whose attribute names a function of the project,
# written in the running test, in one of its fixtures, or in a helper they call (by name, transitively), is
# recorded for that test. A store in a ``finally:`` block puts the original back: it hides nothing.
@dataclass(frozen=True)
class Store:
    """One store of an attribute in test code."""

    line: int
    attr: str
    owner: ast.expr  # what the attribute is set on
    kind: str  # "assignment" or "setattr"


@dataclass
class TestFile:
    """What the census reads from one test file: its stores, its functions and the names they call."""

    stores: list[Store]
    defs: dict[str, list[tuple[int, int]]]  # function name -> (first, last) lines
    calls: list[tuple[int, str]]  # (line, called name)


def _restoring_lines(tree: ast.AST) -> set[int]:
    """Lines that put an original back: in a ``finally:`` block, or storing a name that was read from the
    same attribute (``saved = Mailer.send`` ... ``Mailer.send = saved``)."""
    lines: set[int] = set()
    saved: dict[str, set[str]] = {}  # name -> attributes it was read from
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for stmt in node.finalbody:
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            read = _read_attribute(node.value)
            if read:
                saved.setdefault(node.targets[0].id, set()).add(read)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            attrs = saved.get(node.value.id, set())
            if any(isinstance(t, ast.Attribute) and t.attr in attrs for t in node.targets):
                lines.add(node.lineno)
    return lines


def _read_attribute(value: ast.expr) -> str:
    """The attribute an expression reads: ``X.a``, ``X.__dict__["a"]``, ``getattr(X, "a")``; "" otherwise."""
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
        return str(value.slice.value)
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "getattr"
        and len(value.args) >= 2
        and isinstance(value.args[1], ast.Constant)
    ):
        return str(value.args[1].value)
    return ""


def read_test_file(path: Path) -> TestFile:
    """The stores, function definitions and calls of one file (nothing for a file that does not parse)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return TestFile([], {}, [])
    restoring = _restoring_lines(tree)
    found = TestFile([], {}, [])
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.defs.setdefault(node.name, []).append((node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.Assign) and node.lineno not in restoring and _may_be_callable(node.value):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    found.stores.append(Store(node.lineno, target.attr, target.value, "assignment"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name:
                found.calls.append((node.lineno, name))
            if (
                name == "setattr"
                and isinstance(func, ast.Name)
                and len(node.args) == 3
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and node.lineno not in restoring
            ):
                found.stores.append(Store(node.lineno, node.args[1].value, node.args[0], "setattr"))
    return found


def _may_be_callable(value: ast.expr) -> bool:
    """A stored value that can be a function or a fake (not a literal, a container or arithmetic)."""
    return isinstance(value, (ast.Name, ast.Attribute, ast.Lambda, ast.Call, ast.Subscript))


class AssignmentWatch:
    """Records the plain assignments of project functions made by the code each test runs."""

    def __init__(self) -> None:
        self.files: dict[Path, TestFile] = {}
        # Function name -> the project's classes and modules defining it; -> where it is defined in test files.
        self._owners: dict[str, list[str]] | None = None
        self._defs: dict[str, list[tuple[Path, int, int]]] | None = None
        self.watched: list[tuple[Any, str, str, object]] = []  # owner, attribute, target, original value
        self.leaks: dict[str, int | None] = {}  # target -> token, while it differs from the original

    def file(self, path: Path) -> TestFile:
        if path not in self.files:
            self.files[path] = read_test_file(path)
            self._defs = None
        return self.files[path]

    def owners(self) -> dict[str, list[str]]:
        """Per function name, the project's modules and classes that define it (read once, at collection)."""
        if self._owners is None:
            owners: dict[str, list[str]] = {}
            for module_name, module in list(sys.modules.items()):
                filename = getattr(module, "__file__", None)
                if not filename or not REC._is_user(filename) or _is_test_file(Path(filename)):
                    continue
                for attr, value in list(vars(module).items()):
                    if inspect.isfunction(value) and value.__module__ == module_name:
                        owners.setdefault(attr, []).append(module_name)
                    elif isinstance(value, type) and value.__module__ == module_name:
                        _class_owners(value, owners)
            self._owners = {attr: sorted(set(names)) for attr, names in owners.items()}
        return self._owners

    def baseline(self) -> None:
        """What each project module and class holds, at collection, under a name that test code stores to."""
        stored = {store.attr for info in self.files.values() for store in info.stores}
        for attr in sorted(stored & self.owners().keys()):
            for name in self.owners()[attr]:
                owner = sys.modules.get(name) or _resolved(name)
                if owner is not None and attr in vars(owner):
                    self.watched.append((owner, attr, f"{name}.{attr}", vars(owner)[attr]))

    def check_leaks(self, spans: Callable[[], Iterator[Span]], fallback: str) -> None:
        """A module or class attribute still replaced when a phase ends, by nothing monkeypatch or mock made:
        a plain assignment not undone. It applies to every test that runs until it is put back."""
        for owner, attr, target, original in self.watched:
            replaced = vars(owner).get(attr) is not original
            if replaced and target not in self.leaks:
                if any(r["target"] == target for r in REC.active.values()):
                    continue  # a monkeypatch or mock.patch in place: recorded already
                self.leaks[target] = REC.add(target, "assignment", self._site(attr, spans()) or fallback)
            elif not replaced and target in self.leaks:
                REC.remove(self.leaks.pop(target))

    def _site(self, attr: str, spans: Iterator[Span]) -> str:
        for path, first, last in spans:
            for store in self.file(path).stores:
                if store.attr == attr and first <= store.line <= last:
                    return f"{REC.relative(str(path))}:{store.line}"
        return ""

    def record(self, spans: list[Span]) -> None:
        """Record for the running test every store in ``spans`` and in the helpers they call."""
        owners = self.owners()
        if not owners:
            return
        seen: set[tuple[Path, int, int]] = set()
        todo = [(path, first, int(min(last, 10**9))) for path, first, last in spans]
        while todo:
            path, first, last = todo.pop()
            if (path, first, last) in seen:
                continue
            seen.add((path, first, last))
            info = self.file(path)
            for store in info.stores:
                if first <= store.line <= last and store.attr in owners:
                    for target in self._targets(path, store, owners[store.attr]):
                        REC.note(target, store.kind, f"{REC.relative(str(path))}:{store.line}")
            for line, name in info.calls:
                if first <= line <= last:
                    todo.extend(self._helpers(name))

    def _helpers(self, name: str) -> list[tuple[Path, int, int]]:
        if self._defs is None:
            index: dict[str, list[tuple[Path, int, int]]] = {}
            for path, info in self.files.items():
                for def_name, spans in info.defs.items():
                    index.setdefault(def_name, []).extend((path, first, last) for first, last in spans)
            self._defs = index
        return self._defs.get(name, [])

    @staticmethod
    def _targets(path: Path, store: Store, defining: list[str]) -> list[str]:
        """What a store replaces: the module or class its owner names in the test module, else (an instance,
        a local) every project class that defines the attribute."""
        owner = _global_value(path, store.owner)
        if isinstance(owner, (ModuleType, type)):
            name = owner_name(owner)
            return [f"{name}.{store.attr}"] if name in defining or isinstance(owner, type) else []
        return [f"{name}.{store.attr}" for name in defining if not _is_module_name(name)]


def _class_owners(cls: type, owners: dict[str, list[str]]) -> None:
    for attr, value in list(vars(cls).items()):
        if isinstance(value, (staticmethod, classmethod, property)) or inspect.isfunction(value):
            owners.setdefault(attr, []).append(f"{cls.__module__}.{cls.__qualname__}")
        elif isinstance(value, type) and value.__module__ == cls.__module__:
            _class_owners(value, owners)


def _resolved(name: str) -> object:
    """The class a dotted name names (``pkg.mod.Outer.Inner``), or None."""
    found = resolve_dotted(name)
    return getattr(found[0], found[1], None) if found is not None else None


def _is_module_name(name: str) -> bool:
    return isinstance(sys.modules.get(name), ModuleType)


def _is_test_file(path: Path) -> bool:
    """A conftest, a test module, or any module under a ``tests``/``test`` directory (the suite's helpers)."""
    folders = Path(REC.relative(str(path))).parts[:-1]
    return (
        path.name == "conftest.py" or path.name.startswith("test") or bool({"tests", "test"} & set(folders))
    )


def _global_value(path: Path, expr: ast.expr) -> object:
    """The value of ``name`` or ``name.attr...`` among the globals of the test module at ``path``; None
    when it is anything else (a local, a call) or not found. Only plain lookups: nothing is called."""
    chain: list[str] = []
    while isinstance(expr, ast.Attribute):
        chain.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    module = _module_at(path)
    value = getattr(module, expr.id, None) if module is not None else None
    for attr in reversed(chain):
        if not isinstance(value, (ModuleType, type)):
            return None
        value = inspect.getattr_static(value, attr, None)
    return value


_MODULES_AT: dict[Path, ModuleType | None] = {}


def _module_at(path: Path) -> ModuleType | None:
    if path not in _MODULES_AT:
        _MODULES_AT[path] = next(
            (
                module
                for module in list(sys.modules.values())
                if isinstance(getattr(module, "__file__", None), str) and Path(module.__file__) == path
            ),
            None,
        )
    return _MODULES_AT[path]


ASSIGNMENTS = AssignmentWatch()


def _scan_test_files() -> None:
    """Read every test file and conftest imported by collection (their helpers are found by name there)."""
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str) and REC._is_user(filename) and _is_test_file(Path(filename)):
            ASSIGNMENTS.file(Path(filename))
    # Read now, before any fixture patches a method: a patched one would not look like a function.
    ASSIGNMENTS.owners()
    ASSIGNMENTS.baseline()


# -- lines run per test -----------------------------------------------------------------------
class LineRecorder:
    """Per-test line coverage of the mutated sources only: a coverage.py tracer limited to them (the
    rest of the suite runs untraced), switched to each test's node id as that test starts."""

    def __init__(self) -> None:
        self.cov: Any = None
        self.root = Path.cwd()

    def start(self, root: Path, paths: list[str]) -> None:
        if not paths:
            return
        import coverage  # a dependency of the gate; imported only when lines are asked for

        self.root = root
        include: list[str] = []
        for entry in paths:
            path = (root / entry).resolve()
            include.append(str(path / "*") if path.is_dir() else str(path))
        # config_file=False: the project's own [tool.coverage] (branch, source, plugins) is not this run's.
        self.cov = coverage.Coverage(data_file=None, branch=False, include=include, config_file=False)
        # sys.monitoring (coverage's default core on 3.14) records a line once, in the first test that runs
        # it: per-test contexts need a tracer that sees every execution, the C one when it is built.
        try:
            importlib.import_module("coverage.tracer")
            core = "ctrace"
        except ImportError:
            core = "pytrace"
        self.cov.set_option("run:core", core)
        self.cov.start()

    def switch(self, nodeid: str) -> None:
        if self.cov is not None:
            self.cov.switch_context(nodeid)

    def finish(self) -> dict[str, dict[str, str]] | None:
        """{source file: {node id: "3-5,9"}}: the lines each test executed (import-time lines, run by no
        test, are left out); None when lines were not asked for."""
        if self.cov is None:
            return None
        self.cov.stop()
        data = self.cov.get_data()
        found: dict[str, dict[str, str]] = {}
        for filename in sorted(data.measured_files()):
            per_test: dict[str, list[int]] = {}
            for line, contexts in (data.contexts_by_lineno(filename) or {}).items():
                for context in contexts:
                    if context:
                        per_test.setdefault(context, []).append(line)
            if per_test:
                name = REC.relative(filename)
                found[name] = {test: ranges(lines) for test, lines in sorted(per_test.items())}
        self.cov = None
        return found


def ranges(lines: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3,7"``."""
    parts: list[str] = []
    ordered = sorted(set(lines))
    start = prev = ordered[0] if ordered else 0
    for line in ordered[1:] + [0]:
        if line != prev + 1:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = line
        prev = line
    return ",".join(parts) if ordered else ""


LINES = LineRecorder()


# -- hooks ------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--gate-census-out", default=None, help="write the replacement census (JSON) here")
    parser.addoption(
        "--gate-census-lines",
        action="append",
        default=[],
        help="also record the lines each test executes in this source file or directory (repeatable)",
    )
    parser.addoption(
        "--gate-census-sample",
        type=int,
        default=0,
        help="run only the first N collected tests (a quick check)",
    )


def pytest_configure(config: pytest.Config) -> None:
    REC.root = Path(config.rootpath).resolve()
    REC._user_file.clear()
    LINES.start(REC.root, config.getoption("--gate-census-lines"))


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    result = yield
    # Fakes put into sys.modules at import time stay for the whole session.
    WATCH.check(_collected_spans, "")
    _scan_test_files()
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    REC.collected = len(items)
    sample = config.getoption("--gate-census-sample")
    if sample and len(items) > sample:
        config.hook.pytest_deselected(items=items[sample:])
        del items[sample:]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    REC.start_test(item.nodeid)
    LINES.switch(item.nodeid)
    try:
        return (yield)
    finally:
        LINES.switch("")
        REC.end_test()


def _phase(item: pytest.Item, phase: str) -> Iterator[None]:
    path, line, _ = item.location
    fallback = f"{path}:{(line or 0) + 1}"
    try:
        return (yield)
    finally:
        WATCH.check(lambda: _item_spans(item, phase), fallback)
        if phase != "teardown":
            ASSIGNMENTS.record(list(_own_spans(item, phase)))
        ASSIGNMENTS.check_leaks(lambda: _item_spans(item, phase), fallback)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _phase(item, "setup"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _phase(item, "call"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    return (yield from _phase(item, "teardown"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = session.config.getoption("--gate-census-out")
    lines = LINES.finish()
    if out:
        data = REC.to_json(int(exitstatus))
        if lines is not None:
            data["lines"] = lines
        Path(out).write_text(json.dumps(data, indent=1), encoding="utf-8")


# The wrappers go in when pytest imports this plugin (-p), before conftests and test modules are
# imported, so that patchers created at import time (class decorators) know where they were written.
_wrap_monkeypatch()
_wrap_mock()
_wrap_environ_clear()
