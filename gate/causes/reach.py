"""Line-level reach: which of the tests that enter a mutated function execute the mutated line itself.

From the per-test line coverage the census run records (``Census.lines``) and the source text: a mutation
counts as reached by a test when that test executes any line of the statement holding it (a statement may
span lines, and only some of them emit line events); a mutation in a function's signature or decorators
(evaluated at import, by no test) counts as reached by every test that enters the function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.causes.census import Census
from gate.model import Mutant

_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
# Where a branch starts: the line whose condition decides whether the code under it runs.
_BRANCHING = (ast.If, ast.While, ast.ExceptHandler, ast.match_case)


@dataclass(frozen=True)
class Branch:
    """The condition guarding a line: its line number and its text (``if not ok:``, ``except OSError:``);
    ``otherwise`` when the line sits in that ``if``'s or loop's ``else`` part."""

    line: int
    text: str
    otherwise: bool = False


@dataclass(frozen=True)
class LineReach:
    """What runs a mutated line: the mutant's tests that execute it (fastest first, as mutmut ordered them)
    and the branch condition it sits under, if any."""

    runners: list[str]
    branch: Branch | None = None


def parse_ranges(text: str) -> set[int]:
    """``"1-3,7"`` -> ``{1, 2, 3, 7}``."""
    lines: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines


class Reach:
    """Line reach of the mutants of some source files, from a census that recorded lines."""

    def __init__(self, census: Census, sources: Mapping[str, str]) -> None:
        self._census = census
        self._sources = sources  # repository-relative file -> its text, as the census run saw it
        self._trees: dict[str, ast.Module | None] = {}
        self._lines: dict[tuple[str, str], set[int]] = {}

    @classmethod
    def load(cls, census: Census, root: Path, files: Iterable[str]) -> Reach:
        """The reach of ``files``, those whose content is still what the census run measured."""
        texts: dict[str, str] = {}
        for name in set(files):
            if name in census.sources and census.lines_fresh(root, [name]):
                texts[name] = (root / name).read_text(encoding="utf-8")
        return cls(census, texts)

    def of(self, mutant: Mutant) -> LineReach | None:
        """The line reach of a mutant; None when it is not known (no line data for its file, its function
        not found, or none of its tests seen inside the function: mutmut and the coverage disagree)."""
        return self.at(mutant.file, mutant.qualname, mutant.line, mutant.tests)

    def at(self, file: str, qualname: str, line: int, tests: Iterable[str]) -> LineReach | None:
        """The line reach of a mutation at ``line`` of function ``qualname`` in ``file``, among ``tests``
        (the tests mutmut's stats link to the function, in mutmut's order); see ``of``."""
        tree = self._tree(file)
        function = _find_function(tree, qualname) if tree is not None else None
        if function is None or not function.body:
            return None
        ordered = list(dict.fromkeys(tests))
        body = _body(function)
        entering = [t for t in ordered if self._runs(file, t, range(body[0].lineno, _end(function) + 1))]
        if not entering:
            return None
        if line < body[0].lineno:  # decorators, signature (defaults), docstring: run at import
            return LineReach(entering)
        path = _path_to(function, line)
        span = _span(path[-1]) if path else range(line, line + 1)
        runners = [t for t in entering if self._runs(file, t, span)]
        return LineReach(runners, _branch(path, self._sources[file].splitlines()))

    def _tree(self, name: str) -> ast.Module | None:
        if name not in self._trees:
            text = self._sources.get(name)
            try:
                self._trees[name] = ast.parse(text) if text is not None else None
            except (SyntaxError, ValueError):
                self._trees[name] = None
        return self._trees[name]

    def _runs(self, name: str, test: str, span: range) -> bool:
        key = (name, test)
        if key not in self._lines:
            self._lines[key] = parse_ranges(self._census.lines.get(name, {}).get(test, ""))
        lines = self._lines[key]
        return any(line in lines for line in span)


def _find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    body: list[ast.stmt] = tree.body
    parts = qualname.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        kinds = _FUNCTION if last else (ast.ClassDef,)
        node = next((n for n in body if isinstance(n, kinds) and n.name == part), None)
        if node is None:
            return None
        if last:
            assert isinstance(node, _FUNCTION)
            return node
        body = node.body
    return None


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The statements that run when it is called: its body less a leading docstring."""
    body = function.body
    first = body[0]
    value = first.value if isinstance(first, ast.Expr) else None
    if len(body) > 1 and isinstance(value, ast.Constant) and isinstance(value.value, str):
        return body[1:]
    return body


def _end(node: ast.AST) -> int:
    if isinstance(node, ast.match_case):  # a case clause carries no position of its own
        return _end(node.body[-1])
    end: int | None = getattr(node, "end_lineno", None)
    return end or int(getattr(node, "lineno", 0))


def _children(node: ast.AST) -> list[ast.AST]:
    """The statements (and except/case clauses) directly inside a compound statement."""
    found: list[ast.AST] = []
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        found.extend(getattr(node, name, []) or [])
    return found


def _path_to(function: ast.AST, line: int) -> list[ast.AST]:
    """The chain of statements from ``function`` (left out) down to the innermost one holding ``line``."""
    path: list[ast.AST] = []
    node = function
    while True:
        inner = next(
            (c for c in _children(node) if _start(c) <= line <= _end(c) and not isinstance(c, _FUNCTION)),
            None,
        )
        if inner is None:
            return path
        path.append(inner)
        node = inner


def _start(node: ast.AST) -> int:
    if isinstance(node, ast.match_case):
        return int(node.pattern.lineno)
    return int(getattr(node, "lineno", 0))


def _span(node: ast.AST) -> range:
    """The lines whose execution means the statement ran: a compound statement's header (up to its first
    inner statement), a simple statement's every line."""
    inner = _children(node)
    if inner:
        return range(_start(node), max(_start(node), min(_start(c) for c in inner) - 1) + 1)
    return range(_start(node), _end(node) + 1)


def _branch(path: list[ast.AST], lines: list[str]) -> Branch | None:
    """The nearest condition above the innermost statement of ``path``: an if/elif/while line, an except
    clause or a match case; ``otherwise`` when the statement is in its ``else`` part."""
    for outer, inner in zip(reversed(path[:-1]), reversed(path[1:]), strict=True):
        if isinstance(outer, _BRANCHING):
            otherwise = inner in (getattr(outer, "orelse", None) or [])
            line = _start(outer)
            return Branch(line, lines[line - 1].strip(), otherwise)
    return None


def select_tests(mutants: Iterable[Mutant], reach: Reach) -> dict[str, list[str]]:
    """Line-level test selection: {mutmut name: the mutant's tests that execute its mutated line}, fastest
    first as mutmut ordered them (signature and decorator lines: every test entering the function). Mutants
    whose reach is not known are left out: they keep every test of their function."""
    selected: dict[str, list[str]] = {}
    for mutant in mutants:
        line_reach = reach.of(mutant) if mutant.tests else None
        if line_reach is not None:
            selected[mutant.name] = line_reach.runners
    return selected
