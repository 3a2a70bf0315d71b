"""Assertions that kill a survivor: written from a witness's original call, proven on a scratch copy of
the test (it must pass on the original and fail on the mutant) before anyone sees them."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Values compared by identity in the suggestion, as linters ask (`is None`, not `== None`).
_SINGLETONS = ("None", "True", "False")
# The scratch copy's name does not match pytest's default `test_*.py`, so a copy an interrupted run left
# behind is never collected by mutmut's runs.
SCRATCH_PREFIX = "_gate_witness_"
_REGEX_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def propose(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """The assertion on the original call's outcome, when its call and result can be written as source
    in the test's namespace; "" otherwise."""
    if before is None or not before.get("call_src"):
        return ""
    call = before["call_src"]
    if before.get("async"):
        if not before.get("async_test"):
            return ""
        call = f"await {call}"
    if "raised" in before:
        kind = before.get("raised_src")
        if not kind:
            return ""
        if after is not None and after.get("raised") == before["raised"]:
            pattern = "^" + _REGEX_SPECIAL.sub(r"\\\1", before.get("raw_message", "")) + "$"
            return f"with pytest.raises({kind}, match={pattern!r}):\n    {call}"
        return f"with pytest.raises({kind}):\n    {call}"
    value = before.get("returned_src")
    if value is None:
        return ""
    operator = "is" if value in _SINGLETONS else "=="
    return f"assert {call} {operator} {value}"


def scratch_copies(
    mutants_dir: Path, proposals: Sequence[tuple[str, str]]
) -> tuple[list[Path], list[str | None]]:
    """For each (test node id, suggestion), a copy of the test named ``<test>__gate_witness_<i>`` with the
    suggestion at the end of its body, written next to the test in a scratch file per test file. Returns
    the files written and each copy's node id (None where the test could not be copied)."""
    nodes: list[str | None] = [None] * len(proposals)
    by_file: dict[str, list[int]] = {}
    for index, (test, _suggestion) in enumerate(proposals):
        by_file.setdefault(test.partition("::")[0], []).append(index)
    written: list[Path] = []
    for file, indexes in by_file.items():
        source_path = mutants_dir / file
        try:
            source = source_path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        lines = source.splitlines()
        path = source_path.with_name(SCRATCH_PREFIX + source_path.name)
        inserts: list[tuple[int, list[str]]] = []
        for index in indexes:
            test, suggestion = proposals[index]
            copied = _copy(tree, lines, test, suggestion, f"__gate_witness_{index}")
            if copied is not None:
                at, copy, rest = copied
                inserts.append((at, copy))
                nodes[index] = path.relative_to(mutants_dir).as_posix() + "::" + rest
        if not inserts:
            continue
        for at, copy in sorted(inserts, key=lambda pair: -pair[0]):
            lines[at:at] = copy
        if any("pytest.raises" in proposals[i][1] for i in indexes) and not _imports_pytest(tree):
            lines.append("import pytest")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written, nodes


def _copy(
    tree: ast.Module, lines: list[str], test: str, suggestion: str, suffix: str
) -> tuple[int, list[str], str] | None:
    """Where to insert the copy (after the test), its lines, and its node id after the file part."""
    parts = test.partition("::")[2].split("::")
    name, bracket, params = parts[-1].partition("[")
    node = _find(tree.body, [*parts[:-1], name])
    if node is None or node.end_lineno is None or not node.body or node.body[0].lineno == node.lineno:
        return None
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    copy = lines[first - 1 : node.end_lineno]
    def_index = node.lineno - first
    copy[def_index] = copy[def_index].replace(f"def {name}(", f"def {name}{suffix}(", 1)
    indent = " " * node.body[0].col_offset
    copy += [indent + line for line in suggestion.splitlines()]
    rest = "::".join([*parts[:-1], name + suffix + bracket + params])
    return node.end_lineno, ["", *copy], rest


def _find(body: list[ast.stmt], names: list[str]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    head, rest = names[0], names[1:]
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name == head and rest:
            return _find(node.body, rest)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == head and not rest:
            return node
    return None


def _imports_pytest(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Import)
        and any(alias.name == "pytest" and not alias.asname for alias in node.names)
        for node in tree.body
    )
