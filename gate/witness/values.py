"""Values as bounded reprs, and as Python source that evaluates back to an equal value in a test's namespace."""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import reprlib
import types
from typing import Any

# A recorded value never takes more than this many characters, whatever its size.
REPR_LIMIT = 120
# A suggested assertion stays short enough to read and paste.
SOURCE_LIMIT = 160

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6
_REPR.maxlevel = 3
# Default reprs carry an address that differs between two runs of the same code.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def bounded_repr(value: Any) -> str:
    """repr(value), size-capped; a repr that raises is named by its type."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a user's __repr__ may fail; the witness must not
        text = f"<{type(value).__name__} object>"
    text = _ADDRESS.sub("", text)
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 3] + "..."


def reference(obj: Any, namespace: dict[str, Any]) -> str | None:
    """A dotted name under which ``namespace`` reaches ``obj`` (a class, a function): a name bound to it,
    or an attribute path from a module bound in it. None when it is out of reach."""
    # Only names a test could write: pytest's assertion rewriting binds `@py_builtins` and the like.
    names = {
        name: value for name, value in namespace.items() if name.isidentifier() and not name.startswith("__")
    }
    for name, value in names.items():
        if value is obj:
            return name
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if not isinstance(qualname, str) or not isinstance(module, str) or "<" in qualname:
        return None
    for name, value in names.items():
        if not isinstance(value, types.ModuleType):
            continue
        prefix = value.__name__
        if module != prefix and not module.startswith(prefix + "."):
            continue
        path = module[len(prefix) :].lstrip(".").split(".") if module != prefix else []
        dotted = ".".join([name, *[p for p in path if p], qualname])
        if _resolve(value, [*[p for p in path if p], *qualname.split(".")]) is obj:
            return dotted
    return None


def _resolve(root: Any, parts: list[str]) -> Any:
    current = root
    for part in parts:
        current = getattr(current, part, None)
        if current is None:
            return None
    return current


def to_source(value: Any, namespace: dict[str, Any], depth: int = 0) -> str | None:
    """Python source for ``value`` that evaluates, in ``namespace``, to an equal value of the same type:
    literals, containers of them, enum members and simple dataclasses. None for anything else."""
    if depth > 4:
        return None
    source = _literal(value) if type(value) in _LITERALS else _composite(value, namespace, depth)
    if source is None or len(source) > SOURCE_LIMIT:
        return None
    return source if _round_trips(source, value, namespace) else None


_LITERALS = (type(None), bool, int, float, complex, str, bytes)


def _literal(value: Any) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, complex):
        return None
    return repr(value)


def _composite(value: Any, namespace: dict[str, Any], depth: int) -> str | None:
    kind = type(value)
    if isinstance(value, enum.Enum):
        owner = reference(kind, namespace)
        return f"{owner}.{value.name}" if owner else None
    if kind in (list, tuple, set, frozenset):
        items = [to_source(item, namespace, depth + 1) for item in value]
        parts = [item for item in items if item is not None]
        if len(parts) < len(items):
            return None
        return _container(kind, sorted(parts) if kind in (set, frozenset) else parts)
    if kind is dict:
        pairs = [
            (to_source(k, namespace, depth + 1), to_source(v, namespace, depth + 1)) for k, v in value.items()
        ]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value, namespace, depth)
    return None


def _container(kind: type, parts: list[str]) -> str:
    if kind is list:
        return "[" + ", ".join(parts) + "]"
    if kind is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if not parts:
        return "set()" if kind is set else "frozenset()"
    return ("{" + ", ".join(parts) + "}") if kind is set else "frozenset({" + ", ".join(parts) + "})"


def _dataclass(value: Any, namespace: dict[str, Any], depth: int) -> str | None:
    owner = reference(type(value), namespace)
    if owner is None:
        return None
    fields = dataclasses.fields(value)
    if any(not f.init for f in fields):
        return None
    args = []
    for f in fields:
        source = to_source(getattr(value, f.name), namespace, depth + 1)
        if source is None:
            return None
        args.append(f"{f.name}={source}")
    return f"{owner}({', '.join(args)})"


def _round_trips(source: str, value: Any, namespace: dict[str, Any]) -> bool:
    try:
        # Only source built above from literals and names the namespace binds: nothing runs but
        # constructors of enums and dataclasses.
        back = eval(source, dict(namespace))
        return type(back) is type(value) and bool(back == value)
    except Exception:
        return False
