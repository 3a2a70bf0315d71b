"""Callbacks no fake calls: functions the code under test passes as a value to a collaborator, and the fakes
of that collaborator in the tests that never call it back.

Static, from the source and test files (ast): the classifier uses it to say why such a function is untested.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Fake:
    """A stand-in for the collaborator's method in the tests, and whether it calls the callback."""

    qualname: str  # FakeDownloader.download
    site: str  # tests/test_manager.py:12
    calls_back: bool


@dataclass(frozen=True)
class Handoff:
    """One place where a function is passed as a value: ``self.downloader.download(url, progress_callback=
    self._on_progress)`` hands ``_on_progress`` to ``download`` as ``progress_callback``."""

    function: str  # qualname of the function passed: Manager._on_progress
    callee: str  # the method it is passed to: download
    parameter: str  # the keyword, or "argument N"
    position: int | None  # the positional index (None for a keyword)
    site: str  # file:line of the call
    fakes: tuple[Fake, ...] = field(default=())


def handoffs(
    root: Path, sources: Iterable[str], tests: Iterable[Path]
) -> dict[tuple[str, str], list[Handoff]]:
    """Per (source file, qualname), every place that source file passes the function as a value, with the
    fakes of the receiving method found in the test files."""
    found: dict[tuple[str, str], list[Handoff]] = {}
    for file in sorted(set(sources)):
        tree = _parse(root / file)
        if tree is None:
            continue
        defined = _defined(tree)
        for node, owner in _calls(tree):
            callee = _name_of(node.func)
            if not callee:
                continue
            passed: list[tuple[str, int | None, ast.expr]] = [
                (str(i + 1), i, arg) for i, arg in enumerate(node.args)
            ]
            passed += [(kw.arg, None, kw.value) for kw in node.keywords if kw.arg]
            for parameter, position, value in passed:
                qualname = _referenced(value, owner, defined)
                if qualname is not None:
                    label = f"argument {parameter}" if position is not None else parameter
                    found.setdefault((file, qualname), []).append(
                        Handoff(qualname, callee, label, position, f"{file}:{node.lineno}")
                    )
    if not found:
        return found
    fakes = _fakes(root, tests, {h.callee for hs in found.values() for h in hs})
    return {
        key: [
            Handoff(
                h.function,
                h.callee,
                h.parameter,
                h.position,
                h.site,
                tuple(_judge(h, fakes.get(h.callee, []))),
            )
            for h in hs
        ]
        for key, hs in found.items()
    }


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None


def _defined(tree: ast.Module) -> set[str]:
    """Qualnames of the module's functions and methods (classes nested as deep as they go)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return names


def _calls(tree: ast.Module) -> Iterable[tuple[ast.Call, str]]:
    """Every call in the module with the class that encloses it ("" at module level)."""

    def visit(node: ast.AST, owner: str) -> Iterable[tuple[ast.Call, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(child, f"{owner}{child.name}.")
                continue
            if isinstance(child, ast.Call):
                yield child, owner
            yield from visit(child, owner)

    return visit(tree, "")


def _name_of(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _referenced(value: ast.expr, owner: str, defined: set[str]) -> str | None:
    """The qualname a passed value names, when it is one of the module's functions not being called:
    ``self.name``/``cls.name`` (a method of the enclosing class) or a bare module-level ``name``."""
    if (
        isinstance(value, ast.Attribute)
        and isinstance(value.value, ast.Name)
        and value.value.id in ("self", "cls")
    ):
        qualname = owner + value.attr
        return qualname if qualname in defined else None
    if isinstance(value, ast.Name) and value.id in defined:
        return value.id
    return None


@dataclass(frozen=True)
class _FakeDef:
    qualname: str
    site: str
    params: list[str]  # positional parameters after self
    node: ast.FunctionDef | ast.AsyncFunctionDef


def _fakes(root: Path, tests: Iterable[Path], callees: set[str]) -> dict[str, list[_FakeDef]]:
    """Methods of classes in the test files named like a receiving method: the tests' stand-ins for it."""
    found: dict[str, list[_FakeDef]] = {}
    for path in sorted(set(tests)):
        tree = _parse(path)
        if tree is None:
            continue
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in cls.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in callees:
                    params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]][1:]
                    found.setdefault(node.name, []).append(
                        _FakeDef(f"{cls.name}.{node.name}", f"{relative}:{node.lineno}", params, node)
                    )
    return found


def _judge(handoff: Handoff, fakes: list[_FakeDef]) -> Iterable[Fake]:
    for fake in fakes:
        if handoff.position is not None:
            name = fake.params[handoff.position] if handoff.position < len(fake.params) else None
        else:
            name = handoff.parameter
        yield Fake(fake.qualname, fake.site, name is not None and _calls_name(fake.node, name))


def _calls_name(func: ast.AST, name: str) -> bool:
    """True when the function calls ``name`` (its parameter), directly or through ``kwargs["name"]``."""
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id == name:
            return True
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.slice, ast.Constant)
            and target.slice.value == name
        ):
            return True
        if isinstance(target, ast.Call) and any(
            isinstance(a, ast.Constant) and a.value == name for a in target.args
        ):
            return True  # kwargs.get("name")(...)
    return False


def hint(function: str, uses: list[Handoff], mocked_at: Sequence[str] = ()) -> str:
    """What to tell about an untested function that is only handed over as a callback. ``mocked_at``: the
    sites where the census saw the receiving method replaced by a mock (which never calls a callback)."""
    first = uses[0]
    where = f"only passed as `{first.parameter}` to `{first.callee}` ({first.site})"
    if len(uses) > 1:
        where += f" and {len(uses) - 1} more place{'s' if len(uses) > 2 else ''}"
    name = function.rsplit(".", 1)[-1]
    silent = [f for use in uses for f in use.fakes if not f.calls_back]
    if mocked_at:
        sites = ", ".join(mocked_at[:3]) + (f" and {len(mocked_at) - 3} more" if len(mocked_at) > 3 else "")
        where += f"; the tests replace `{first.callee}` with mocks that never call it ({sites})"
    if silent:
        shown = ", ".join(f"`{f.qualname}` ({f.site})" for f in silent[:3])
        more = f" and {len(silent) - 3} more" if len(silent) > 3 else ""
        return (
            f"`{name}` is {where}; the fakes of `{first.callee}` in the tests never call it: {shown}{more}. "
            f"Make a fake call `{first.parameter}`, or test `{name}` directly"
        )
    return f"`{name}` is {where}; no test makes `{first.callee}` call it back: test `{name}` directly"
