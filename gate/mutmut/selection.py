"""Which mutants a run is about: all targets, some targets, one module, one function, or named mutants.

Built from what the user asked for (target names, a path or dotted module, mutant names), checked against
what mutmut mutates; names are matched through the codec (gate.mutmut.names).
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from pathlib import Path

from gate.config import GateConfig
from gate.exit_code import ConfigError
from gate.mutmut.names import function_of, is_mutant_name, mangle, module_name, module_of


@dataclass(frozen=True)
class Selection:
    """A set of mutants: those of `files`, narrowed to `functions` (mangled names) when given, or
    exactly `names` (re-tested even when mutmut has a cached verdict, for kind `names` only)."""

    files: tuple[str, ...]
    functions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    kind: str = "all"  # all | targets | module | function | names | shard | changed-lines
    label: str = ""  # what the user asked for, for messages

    def contains(self, name: str) -> bool:
        if self.names:
            return name in self.names
        if self.functions:
            return function_of(name) in self.functions
        return True

    @property
    def retests_cached(self) -> bool:
        """Whether the named mutants are re-tested even with a cached verdict: mutants the user named
        are; a shard's or a diff's re-use every valid verdict."""
        return bool(self.names) and self.kind == "names"


def for_targets(config: GateConfig, targets: list[str] | tuple[str, ...] = ()) -> Selection:
    files = config.target_files(list(targets) or None)
    kind = "targets" if targets else "all"
    return Selection(files=tuple(files), kind=kind, label=", ".join(targets) or "all targets")


def for_names(config: GateConfig, names: list[str] | tuple[str, ...]) -> Selection:
    """Exactly these mutants. Their files are found from the module part of each name."""
    by_module = {module_name(path): path for path in config.mutatable_files()}
    files: set[str] = set()
    for name in names:
        if not is_mutant_name(name):
            raise ConfigError(f"{name!r} is not a mutmut mutant name (expected ...__mutmut_N)")
        module = module_of(name)
        if module not in by_module:
            raise ConfigError(f"mutant {name}: no mutated source file for module {module!r}")
        files.add(by_module[module])
    return Selection(
        files=tuple(sorted(files)), names=tuple(names), kind="names", label=f"{len(names)} mutants"
    )


def for_module(config: GateConfig, spec: str) -> Selection:
    """`gate check` argument: a path, a dotted module name, either with `:Class.method` or `:function`."""
    module_spec, _, function = spec.partition(":")
    path = resolve_module(config, module_spec)
    if not function:
        return Selection(files=(path,), kind="module", label=path)
    qualnames = functions_in(config.root / path)
    if function not in qualnames:
        hint = _closest(function, qualnames)
        raise ConfigError(
            f"{path} has no function {function!r}" + (f" (did you mean {hint!r}?)" if hint else "")
        )
    return Selection(
        files=(path,), functions=(mangle(path, function),), kind="function", label=f"{path}:{function}"
    )


def resolve_module(config: GateConfig, spec: str) -> str:
    """A repository-relative .py path from a path or a dotted name; it must be a file mutmut mutates."""
    if not spec:
        raise ConfigError(
            "no module given (a path like py/services/x.py or a dotted name like py.services.x)"
        )
    root = config.root
    candidates: list[str] = []
    if spec.endswith(".py") or "/" in spec:
        path = Path(spec)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(root)
            except ValueError:
                raise ConfigError(f"{spec} is outside the project {root}") from None
        candidates.append(path.as_posix())
    else:
        base = spec.replace(".", "/")
        candidates += [f"{base}.py", f"{base}/__init__.py", f"src/{base}.py", f"src/{base}/__init__.py"]
    for candidate in candidates:
        if (root / candidate).is_file():
            if not config.mutmut.covers(candidate) or not config.mutmut.should_mutate(candidate):
                raise ConfigError(
                    f"{candidate} is not mutated by mutmut (source_paths / only_mutate / do_not_mutate "
                    f"in {config.mutmut.origin})"
                )
            return candidate
    raise ConfigError(f"no module {spec!r} in this project (looked for {', '.join(candidates)})")


def functions_in(file: Path) -> list[str]:
    """Qualnames of the functions and methods defined at module or class level in a file."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot be parsed: {error}") from None
    names: list[str] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.append(prefix + node.name)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return names


def _closest(name: str, options: list[str]) -> str | None:
    matches = difflib.get_close_matches(name, options, n=1)
    return matches[0] if matches else None
