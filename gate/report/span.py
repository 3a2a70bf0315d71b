"""Where a mutation changes its line, read from its diff: the first changed lines, the changed columns and
a mutator category.

mutmut does not record which operator produced a mutant; the first removed and added lines say it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"^[+-]?(\d[\d_]*\.?\d*(e[+-]?\d+)?|\.\d+)j?$", re.IGNORECASE)
_EQUALITY = {"==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in"}
_ARITHMETIC = {"+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^"}
_ASSIGNMENT = {"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", ":="}
_LOGICAL = {"and", "or"}
_BOOLEAN = {"True", "False"}
_FLOW = {"break", "continue", "return"}


@dataclass(frozen=True)
class Change:
    """The edit of one mutated line: 1-based columns on the original line, end exclusive."""

    original: str  # the whole original line
    mutated: str  # the whole mutated line ("" when the line was removed)
    start_column: int
    end_column: int
    removed: str  # the original text in [start, end)
    replacement: str  # what took its place
    mutator: str  # Stryker-style category, e.g. "EqualityOperator"


def first_change(diff: str) -> tuple[str, str]:
    """The first removed and the first added line of a mutant's diff, stripped: the change in one glance."""
    lines = diff.splitlines()
    old = next((ln[1:].strip() for ln in lines if ln.startswith("-") and not ln.startswith("--- ")), "")
    new = next((ln[1:].strip() for ln in lines if ln.startswith("+") and not ln.startswith("+++ ")), "")
    return old, new


def change_of(diff: str) -> Change | None:
    """The change of a function-relative unified diff; None when the diff removes no line."""
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    if not removed:
        return None
    old = removed[0]
    if not added:
        indent = len(old) - len(old.lstrip())
        return Change(old, "", indent + 1, len(old.rstrip()) + 1, old.strip(), "", "StatementRemoval")
    new = added[0]
    start = _common_prefix(old, new)
    suffix = _common_suffix(old[start:], new[start:])
    old_end, new_end = len(old) - suffix, len(new) - suffix
    # Widen to whole tokens so `True` -> `False` is one word and `<` -> `<=` one operator.
    # old[:start] == new[:start] and old[old_end:] == new[new_end:], so both move in step.
    while start > 0:
        first = old[start] if old_end > start else new[start] if new_end > start else ""
        if not _same_token(old[start - 1], first):
            break
        start -= 1
    while old_end < len(old):
        last = old[old_end - 1] if old_end > start else new[new_end - 1] if new_end > start else ""
        if not _same_token(old[old_end], last):
            break
        old_end += 1
        new_end += 1
    cut, put = old[start:old_end], new[start:new_end]
    return Change(old, new, start + 1, old_end + 1, cut, put, _mutator(cut.strip(), put.strip()))


def _mutator(cut: str, put: str) -> str:
    pair = {cut, put}
    if cut in _EQUALITY and put in _EQUALITY:
        return "EqualityOperator"
    if cut in _ARITHMETIC and put in _ARITHMETIC:
        return "ArithmeticOperator"
    if cut in _ASSIGNMENT and put in _ASSIGNMENT:
        return "AssignmentOperator"
    if pair <= _LOGICAL:
        return "LogicalOperator"
    if pair <= _BOOLEAN:
        return "BooleanLiteral"
    if pair <= _FLOW:
        return "ControlFlow"
    if cut.startswith("not ") or put.startswith("not ") or cut in {"not", "-", "~"} and not put:
        return "UnaryOperator"
    if _NUMBER.match(cut) and _NUMBER.match(put):
        return "NumberLiteral"
    if _is_string_change(cut, put):
        return "StringLiteral"
    if put == "None":
        return "NoneReplacement"
    if not put or not cut:
        return "ArgumentRemoval" if "," in cut + put or not put else "Insertion"
    return "Replacement"


def _is_string_change(cut: str, put: str) -> bool:
    if "XX" in put and put.replace("XX", "") == cut.replace("XX", ""):
        return True  # mutmut's string mutation wraps the text in XX
    quotes = ("'", '"')
    return cut.startswith(quotes) or put.startswith(quotes) or cut.lower() == put.lower() != cut


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def _same_token(a: str, b: str) -> bool:
    kind = _kind(a)
    return kind != "other" and kind == _kind(b)


def _kind(char: str) -> str:
    if char and (char.isalnum() or char == "_"):
        return "word"
    if char and char in "<>=!+-*/%&|^~@:":
        return "operator"
    return "other"
