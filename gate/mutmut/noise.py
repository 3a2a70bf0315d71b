"""Mutants that tell nothing: a change inside a logging call, a docstring or a `__repr__` body.

A test suite that checks such a mutant would pin log wording or debug output, not behaviour, so these
mutants are skipped before mutmut runs (as PIT does for logging calls). The decision is made from the
original function and its mutant alone: both are parsed with `ast`, walked side by side down to the
smallest node that differs, and the kinds below are read off the original nodes around it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import textwrap
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from gate.atomic import StateError, write_text_atomic
from gate.config import NOISE_KINDS
from gate.mutmut.names import local_of, original_of
from gate.mutmut.state import mutated_path, read_or_repair, spans_path, write_meta

LOGGING, DOCSTRINGS, REPR = KINDS = NOISE_KINDS

# mutmut's exit code for "skipped": nothing in mutmut 3.8 writes it, and `mutmut run` tests only mutants
# whose verdict is null, so a mutant marked with it is never run.
SKIPPED_CODE = 34

# What was decided for each file's mutants, keyed by the content of its mutated copy and the kinds asked
# for: mutmut regenerates a copy only when its source changed, so a warm run reads no function again.
CACHE = Path(".gate") / "noise.json"

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)


def noise_kind(original: str, mutant: str, kinds: Iterable[str] = KINDS) -> str | None:
    """The kind of noise (one of `kinds`) a mutant is, given the source texts of the original function
    and of its mutant; None when it is a mutant worth running (or the texts cannot be parsed)."""
    wanted = set(kinds)
    if not wanted:
        return None
    try:
        before, after = _function(original), _function(mutant)
    except SyntaxError:
        return None
    if before is None or after is None:
        return None
    if REPR in wanted and _is_repr(before.name):
        return REPR
    after.name = before.name  # the mutant's copy carries a generated name
    path = _path_to_change(before, after)
    if not path:
        return None
    if DOCSTRINGS in wanted and _in_docstring(before, path):
        return DOCSTRINGS
    if LOGGING in wanted and any(isinstance(node, ast.Call) and _is_logging_call(node) for node in path):
        return LOGGING
    return None


def _function(text: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    tree = ast.parse(textwrap.dedent(text))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def _is_repr(name: str) -> bool:
    """`__repr__` itself, or mutmut's copies of it (xǁCǁ__repr____mutmut_orig, ..._mutmut_3)."""
    return name == "__repr__" or name.rsplit("ǁ", 1)[-1].startswith("__repr____mutmut_")


def _path_to_change(before: ast.AST, after: ast.AST) -> list[ast.AST]:
    """The original nodes from `before` down to the smallest one that differs from its counterpart in
    `after`; empty when the two are the same."""
    if ast.dump(before) == ast.dump(after):
        return []
    path: list[ast.AST] = [before]
    while True:
        child = _differing_child(before, after)
        if child is None:
            return path
        before, after = child
        path.append(before)


def _differing_child(before: ast.AST, after: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """The one child pair in which two differing nodes differ, or None when the difference is the node
    itself (another type, another operator or literal, a child added or removed, several children)."""
    if type(before) is not type(after):
        return None
    found: list[tuple[ast.AST, ast.AST]] = []
    for name, value in ast.iter_fields(before):
        other = getattr(after, name, None)
        if isinstance(value, list) and isinstance(other, list):
            if len(value) != len(other):
                return None
            pairs = list(zip(value, other, strict=True))
        else:
            pairs = [(value, other)]
        for old, new in pairs:
            if isinstance(old, ast.AST) and isinstance(new, ast.AST):
                if ast.dump(old) != ast.dump(new):
                    found.append((old, new))
            elif old != new:
                return None
    return found[0] if len(found) == 1 else None


def _in_docstring(function: ast.FunctionDef | ast.AsyncFunctionDef, path: list[ast.AST]) -> bool:
    first = function.body[0] if function.body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first in path
    )


def _is_logging_call(call: ast.Call) -> bool:
    """logger.info(...), self._log.warning(...), logging.error(...), logging.getLogger(x).debug(...),
    warnings.warn(...): a method of the logging vocabulary called on something named like a logger."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if func.attr == "warn" and isinstance(receiver, ast.Name) and receiver.id == "warnings":
        return True
    if func.attr not in _LOG_METHODS:
        return False
    if isinstance(receiver, ast.Call):  # logging.getLogger(__name__).info(...)
        receiver = receiver.func
    name = (
        receiver.id
        if isinstance(receiver, ast.Name)
        else receiver.attr
        if isinstance(receiver, ast.Attribute)
        else ""
    )
    return "log" in name.lower()


def mark(root: Path, paths: Iterable[str], kinds: Iterable[str]) -> dict[str, str]:
    """Mark the noise among the generated mutants of `paths` as skipped in their .meta (only mutants with
    no verdict yet), and give back to mutmut the mutants marked before that `kinds` no longer covers.
    Run after generation and before mutmut tests anything. Returns name -> kind for every skipped one."""
    wanted = tuple(kinds)
    cache = _read_cache(root)
    kept: dict[str, dict[str, object]] = {}
    skipped: dict[str, str] = {}
    for path in paths:
        meta = read_or_repair(root, path)
        if meta is None:
            continue
        candidates = [n for n, code in meta.exit_code_by_key.items() if code in (None, SKIPPED_CODE)]
        checked = _checked(root, path, candidates, wanted, cache, kept)
        changed = False
        for name in candidates:
            kind = checked.get(name, "")
            code = SKIPPED_CODE if kind else None
            if kind:
                skipped[name] = kind
            if meta.exit_code_by_key[name] != code:
                meta.exit_code_by_key[name] = code
                changed = True
        if changed:
            write_meta(root, meta)
    if kept != cache:
        # A cache that cannot be written (a full disk) only makes the next generation slower.
        with suppress(StateError):
            write_text_atomic(root / CACHE, json.dumps(kept, indent=1, sort_keys=True) + "\n")
    return skipped


def _checked(
    root: Path,
    path: str,
    names: list[str],
    kinds: tuple[str, ...],
    cache: dict[str, dict[str, object]],
    kept: dict[str, dict[str, object]],
) -> dict[str, str]:
    """name -> kind ("" for none) for `names`: from the cache while the mutated copy is the one it was
    decided on, the others read now (and kept in `kept` for the next run)."""
    try:
        key = hashlib.sha256(mutated_path(root, path).read_bytes() + repr(kinds).encode()).hexdigest()
    except OSError:
        return {}
    entry = cache.get(path, {})
    known = entry.get("checked") if entry.get("key") == key else None
    checked: dict[str, str] = dict(known) if isinstance(known, dict) else {}
    todo = [name for name in names if name not in checked]
    if todo:
        found = _kinds(root, path, todo, kinds)
        if found is None:
            return checked  # unreadable now: decided again next time
        checked.update({name: found.get(name, "") for name in todo})
    kept[path] = {"key": key, "checked": checked}
    return checked


def _read_cache(root: Path) -> dict[str, dict[str, object]]:
    """The decisions of earlier runs; nothing when the file is missing or not what this module writes."""
    try:
        data = json.loads((root / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        path: entry
        for path, entry in data.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("checked"), dict)
        and all(isinstance(kind, str) for kind in entry["checked"].values())
    }


def _kinds(root: Path, path: str, names: list[str], kinds: tuple[str, ...]) -> dict[str, str] | None:
    """name -> kind of noise, read from the mutated copy through its .spans index (None when those cannot
    be read). Functions with no docstring, no logging call and another name than __repr__ are ruled out
    without reading their mutants."""
    try:
        spans = json.loads(spans_path(root, path).read_text(encoding="utf-8"))["spans"]
        lines = mutated_path(root, path).read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None

    def text(local: str) -> str | None:
        span = spans.get(local)
        return "".join(lines[span[0] - 1 : span[1]]) if span else None

    found: dict[str, str] = {}
    by_function: dict[str, list[str]] = {}
    for name in names:
        by_function.setdefault(original_of(name), []).append(name)
    for original_name, members in by_function.items():
        original = text(original_name)
        spans_of_noise = None if original is None else _noise_lines(original, kinds)
        if original is None or spans_of_noise is None:
            continue
        for name in members:
            mutant = text(local_of(name))
            if mutant is None:
                continue
            changed = _changed_lines(original, mutant, original_name, local_of(name))
            # A change on lines outside every docstring and logging call cannot be one of them: only
            # the rest is parsed (the services: 162 of 5,176 mutants, against 2,743 without this filter).
            if changed is not None and not any(
                a <= changed[0] and changed[1] <= b for a, b in spans_of_noise
            ):
                continue
            kind = noise_kind(original, mutant, kinds)
            if kind:
                found[name] = kind
    return found


def _changed_lines(
    original: str, mutant: str, original_name: str, mutant_name: str
) -> tuple[int, int] | None:
    """The first and last line (1-based) of `original` that `mutant` changes, with the mutant's generated
    name put back; None when that cannot be told line for line (the name not found, lines added or
    removed, no change at all), which leaves the decision to the parse. A change on the def line (a
    default value) lies outside every docstring and logging call, as it should."""
    if mutant_name not in mutant:
        return None
    before = original.splitlines()
    after = mutant.replace(mutant_name, original_name, 1).splitlines()
    if len(before) != len(after):
        return None
    differing = [index + 1 for index, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    if not differing:
        return None
    return differing[0], differing[-1]


def _noise_lines(original: str, kinds: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """The line ranges of `original` (1-based, inclusive) where a change may be noise of `kinds`: its
    docstring, its logging calls, all of it for `__repr__`; None when no change of it can be."""
    try:
        function = _function(original)
    except SyntaxError:
        return None
    if function is None:
        return None
    if REPR in kinds and _is_repr(function.name):
        return [(1, len(original.splitlines()))]
    found: list[tuple[int, int]] = []
    first = function.body[0] if function.body else None
    if DOCSTRINGS in kinds and ast.get_docstring(function, clean=False) is not None and first is not None:
        found.append((first.lineno, first.end_lineno or first.lineno))
    if LOGGING in kinds:
        found += [
            (node.lineno, node.end_lineno or node.lineno)
            for node in ast.walk(function)
            if isinstance(node, ast.Call) and _is_logging_call(node)
        ]
    return found or None
