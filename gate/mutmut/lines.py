"""Where a mutation is in the original source: mutmut's function-relative diff mapped to a file line.

The recipe (mutmut-notes §3): the function text starts at the comments above its `def`, so the offset of
the first changed line is counted from the `def` (or its first decorator), found again in the file.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass

# How the first line of a function's text starts: a decorator or its `def`.
DEF_PREFIXES = ("@", "def ", "async def ")


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
        if line.lstrip().startswith(DEF_PREFIXES):
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
