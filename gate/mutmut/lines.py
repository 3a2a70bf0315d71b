"""Where a mutation is in the original source: mutmut's function-relative diff mapped to a file line.

The recipe (mutmut-notes §3): the function text starts at the comments above its `def`, so the offset of
the first changed line is counted from the `def` (or its first decorator), found again in the file.
"""

from __future__ import annotations

import ast
import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gate.mutmut.names import local_of, original_of, qualname_of
from gate.mutmut.state import mutated_path, spans_path

_DEF_PREFIXES = ("@", "def ", "async def ")


@dataclass(frozen=True)
class Change:
    """The first changed region between a function and its mutant, as line indexes into each text."""

    orig_start: int
    orig_end: int
    mutant_start: int
    mutant_end: int


def first_change(orig_lines: list[str], mutant_lines: list[str]) -> Change | None:
    """The first region where the mutant differs from the original; None when they are identical."""
    matcher = difflib.SequenceMatcher(a=orig_lines, b=mutant_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            return Change(i1, i2, j1, j2)
    return None


def anchor(orig_lines: list[str]) -> int:
    """Index of the first decorator or `def` line of a function's text (comments above it come first)."""
    for index, line in enumerate(orig_lines):
        if line.lstrip().startswith(_DEF_PREFIXES):
            return index
    return 0


def def_lines(source: str) -> dict[str, int]:
    """qualname -> first line of each module-level function and method (its first decorator, if any)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[str, int] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found.setdefault(prefix + node.name, first)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def mutation_line(def_line: int, orig_lines: list[str], change: Change) -> int:
    """The file line of a change: the def's line plus the change's offset from the def in the text."""
    return def_line + change.orig_start - anchor(orig_lines)


def mutant_lines(root: Path, path: str, names: Iterable[str]) -> dict[str, int]:
    """The file line of each named mutant of ``path``, read from mutmut's mutated copy as text: the mutant's
    function and its ``__mutmut_orig`` twin are cut out through the copy's ``.spans`` index and compared
    line by line (their names aside). No parse: the whole services' 5,176 mutants take 0.4 s, against 22 s
    through libcst, with the same line for every one (measured). Mutants that cannot be placed (no index,
    a function not found) are left out."""
    try:
        spans = json.loads(spans_path(root, path).read_text(encoding="utf-8"))["spans"]
        text = mutated_path(root, path).read_text(encoding="utf-8").splitlines()
        defs = def_lines((root / path).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    originals: dict[str, list[str]] = {}
    found: dict[str, int] = {}
    for name in names:
        local, original, qualname = local_of(name), original_of(name), qualname_of(name)
        if local not in spans or original not in spans or qualname not in defs:
            continue
        if original not in originals:
            start, end = spans[original]
            originals[original] = text[start - 1 : end]
        start, end = spans[local]
        orig_lines = originals[original]
        change = first_change([line.replace(original, local) for line in orig_lines], text[start - 1 : end])
        if change is not None:
            found[name] = mutation_line(defs[qualname], orig_lines, change)
    return found
