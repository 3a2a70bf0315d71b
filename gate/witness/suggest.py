"""Assertions that kill a survivor: written from a witness's original call, proven on a scratch copy of
the test (it must pass on the original and fail on the mutant) before anyone sees them."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
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


def verify(mutants_dir: Path, test: str, suggestion: str, mutant: str, timeout: float) -> bool:
    """True when the test with ``suggestion`` appended passes on the original and fails on the mutant."""
    scratch = scratch_copy(mutants_dir, test, suggestion)
    if scratch is None:
        return False
    path, node = scratch
    try:
        runs = [_start(mutants_dir, node, which) for which in ("", mutant)]
        codes = [_wait(run, timeout) for run in runs]
    finally:
        path.unlink(missing_ok=True)
    return codes[0] == 0 and codes[1] == 1


def scratch_copy(mutants_dir: Path, test: str, suggestion: str) -> tuple[Path, str] | None:
    """Write the test's file with ``suggestion`` at the end of the test's body; its path and node id."""
    file, _, rest = test.partition("::")
    parts = rest.split("::")
    source_path = mutants_dir / file
    try:
        source = source_path.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None
    node = _find(tree.body, [*parts[:-1], parts[-1].split("[", 1)[0]])
    if node is None or not node.body or node.body[0].lineno == node.lineno or node.end_lineno is None:
        return None
    indent = " " * node.body[0].col_offset
    lines = source.splitlines()
    added = [indent + line for line in suggestion.splitlines()]
    lines[node.end_lineno : node.end_lineno] = added
    if "pytest.raises" in suggestion and not _imports_pytest(tree):
        lines.append("import pytest")
    path = source_path.with_name(SCRATCH_PREFIX + source_path.name)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, path.relative_to(mutants_dir).as_posix() + "::" + rest


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
        isinstance(node, ast.Import) and any(alias.name == "pytest" and not alias.asname for alias in node.names)
        for node in tree.body
    )


def _start(mutants_dir: Path, node: str, mutant: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MUTANT_UNDER_TEST=mutant)
    command = [sys.executable, "-m", "pytest", "--rootdir=.", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", node]
    return subprocess.Popen(command, cwd=mutants_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    try:
        return process.wait(timeout=max(timeout, 1.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
