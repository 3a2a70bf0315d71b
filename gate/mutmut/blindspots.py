"""Blind spots: the code of a target that mutmut gives no mutants, and why, so a score never hides it.

mutmut mutates only function bodies, skips any decorator but one @staticmethod/@classmethod, and never
touches module-level code or class attributes (mutmut-notes §6).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from gate.model import BlindSpot
from gate.mutmut.names import mangle

_NEVER_MUTATED = {"__new__", "__getattribute__", "__setattr__"}
_ALLOWED_DECORATORS = {"staticmethod", "classmethod"}


def find_blind_spots(root: Path, files: Iterable[str], mutated_functions: set[str]) -> list[BlindSpot]:
    """Functions of `files` with no mutant (mangled names in `mutated_functions` have some), with the reason."""
    spots: list[BlindSpot] = []
    for path in files:
        try:
            source = (root / path).read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            spots.append(
                BlindSpot(path, "<module>", 0, f"cannot be parsed, so nothing in it is mutated: {error}")
            )
            continue
        lines = source.splitlines()
        spots += _file_spots(path, tree, lines, mutated_functions)
    return spots


def _file_spots(path: str, tree: ast.Module, lines: list[str], mutated: set[str]) -> list[BlindSpot]:
    spots: list[BlindSpot] = []
    first_data_line = 0

    def check(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str) -> None:
        if mangle(path, qualname) in mutated:
            return
        line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        spots.append(BlindSpot(path, qualname, line, _reason(node, lines)))

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            check(node, node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    check(item, f"{node.name}.{item.name}")
                elif isinstance(item, ast.Assign | ast.AnnAssign) and not first_data_line:
                    first_data_line = item.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and not first_data_line:
            first_data_line = node.lineno
    if first_data_line:
        spots.append(
            BlindSpot(
                path,
                "<module>",
                first_data_line,
                "module-level code and class attributes (constants, defaults, tables) are not mutated",
            )
        )
    return spots


def _reason(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> str:
    decorators = [ast.unparse(d) for d in node.decorator_list]
    if decorators and not (len(decorators) == 1 and decorators[0] in _ALLOWED_DECORATORS):
        shown = ", ".join(f"@{d}" for d in decorators)
        return (
            f"decorated ({shown}): mutmut skips decorated functions other than one @staticmethod/@classmethod"
        )
    if node.name in _NEVER_MUTATED:
        return f"mutmut never mutates {node.name}"
    header = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
    if "pragma: no mutate" in header:
        return "excluded by '# pragma: no mutate'"
    return "nothing in its body can be mutated"
