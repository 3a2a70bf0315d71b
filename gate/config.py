"""The gate's configuration: `[tool.gate]` in pyproject.toml, merged with mutmut's own settings.

Every key lives in one schema table (KEYS); a bad key or value is a ConfigError naming the key and the file.
`[tool.gate]` can hold what mutmut needs (source_paths, tests, also_copy): the gate hands those to mutmut
itself (MutmutSettings.handed), so one file is enough; a `[mutmut]` section that says otherwise is a conflict.
"""

from __future__ import annotations

import configparser
import glob
import importlib.util
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, cast

from gate.exit_code import ConfigError

PYPROJECT = "pyproject.toml"
SETUP_CFG = "setup.cfg"

# A hanging mutant costs (estimate + constant) x multiplier seconds. mutmut's 15 makes each one cost
# ~15 s of wall time; 3 keeps slow-but-correct code alive while a hang costs ~3 s.
DEFAULT_TIMEOUT_MULTIPLIER = 3.0

# The kinds of mutants that tell nothing (gate.mutmut.noise), all skipped unless `skip_noise` says otherwise.
NOISE_KINDS = ("logging", "docstrings", "repr")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_percent(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 100


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_non_negative_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _is_positive_number(value: Any) -> bool:
    return _is_number(value) and value > 0


def _is_noise_setting(value: Any) -> bool:
    return isinstance(value, bool) or (
        isinstance(value, list)
        and all(item in NOISE_KINDS for item in value)
        and len(set(value)) == len(value)
    )


def _is_non_negative_number(value: Any) -> bool:
    return _is_number(value) and value >= 0


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


@dataclass(frozen=True)
class Key:
    """One setting: its check, what the check expects (for the error line), its default and meaning."""

    check: Callable[[Any], bool]
    expected: str
    default: Any
    doc: str


# The schema, one row per key. Sections are "" ([tool.gate]) and "pr" ([tool.gate.pr]); `targets` is
# parsed separately. To add a setting, add a row here and read it with `GateConfig.value(...)`.
KEYS: dict[str, dict[str, Key]] = {
    "": {
        "fail_under": Key(_is_percent, "a percentage between 0 and 100", None, "overall score floor"),
        "tests": Key(_is_str_list, "a list of paths", [], "the suite that judges mutants (files or dirs)"),
        "source_paths": Key(
            _is_str_list, "a list of paths", [], "what mutmut mutates (dirs or files), handed to mutmut"
        ),
        "also_copy": Key(
            _is_str_list,
            "a list of paths",
            [],
            "files the tests need beside tests/ (a root conftest.py, data), handed to mutmut",
        ),
        "do_not_mutate": Key(
            _is_str_list, "a list of globs", [], "files under source_paths never mutated (tests inside it)"
        ),
        "timeout_multiplier": Key(
            _is_positive_number,
            "a positive number",
            None,
            f"mutmut's timeout multiplier when [mutmut] sets none (default {DEFAULT_TIMEOUT_MULTIPLIER})",
        ),
        "skip_noise": Key(
            _is_noise_setting,
            f"true, false or a list of {', '.join(repr(k) for k in NOISE_KINDS)}",
            True,
            "mutants skipped unrun as noise: changes inside logging calls, docstrings, __repr__ bodies",
        ),
        "max_children": Key(
            _is_positive_int, "a positive integer", None, "parallel mutmut workers (unset: CPU count + 1)"
        ),
        "warm_workers": Key(
            _is_bool,
            "true or false",
            True,
            "mutants run in forks of one collected pytest session (false: each starts pytest, as mutmut does)",
        ),
        "line_selection": Key(
            _is_bool,
            "true or false",
            True,
            "each mutant runs only the tests that execute its mutated line, from the census run beside "
            "mutmut (false: every test of its function, as mutmut does)",
        ),
        "witnesses": Key(
            _is_bool,
            "true or false",
            False,
            "witnesses for the full run too (gate check and gate pr always look for them)",
        ),
        "witness_budget": Key(
            _is_non_negative_number,
            "a number of seconds >= 0",
            120,
            "time the witness stage may take per run (0: none)",
        ),
        "lock_wait": Key(
            _is_number, "a number of seconds", 0, "how long a second run waits for the first one's lock"
        ),
    },
    "pr": {
        "max_new_survivors": Key(
            _is_non_negative_int, "an integer >= 0", 0, "survivors allowed on changed lines"
        ),
        "fail_under": Key(
            _is_percent, "a percentage between 0 and 100", None, "score floor on changed lines"
        ),
    },
}
TARGET_KEYS: dict[str, Key] = {
    "paths": Key(_is_str_list, "a list of paths or globs", [], "the files of the target"),
    "fail_under": Key(_is_percent, "a percentage between 0 and 100", None, "this target's score floor"),
}


@dataclass(frozen=True)
class Target:
    """A named group of source files with an optional floor of its own."""

    name: str
    patterns: tuple[str, ...]
    files: tuple[str, ...]  # repository-relative, forward slashes, sorted
    missing: tuple[str, ...] = ()  # listed plain paths that do not exist (yet)
    fail_under: float | None = None


@dataclass(frozen=True)
class MutmutSettings:
    """The part of mutmut's configuration the gate relies on, and where it was read from."""

    origin: str  # "pyproject.toml [tool.mutmut]", "setup.cfg [mutmut]" or "mutmut defaults"
    source_paths: tuple[str, ...]
    only_mutate: tuple[str, ...] = ()
    do_not_mutate: tuple[str, ...] = ()
    also_copy: tuple[str, ...] = ()
    test_selection: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()  # pytest_add_cli_args, with the gate's serial_pytest_args()
    timeout_multiplier: float | None = None  # None: not set, the gate supplies its default
    timeout_constant: float = 1.0
    source_origin: str = ""  # where source_paths came from: `origin` or "pyproject.toml [tool.gate]"
    # What the gate sets in mutmut's configuration itself (keys mutmut's own section leaves unset).
    handed: dict[str, list[str]] = field(default_factory=dict)

    def should_mutate(self, path: str) -> bool:
        """mutmut's own rule (configuration.Config.should_mutate) on a repository-relative path."""
        if not path.endswith(".py"):
            return False
        if self.only_mutate and not any(fnmatch(path, p) for p in self.only_mutate):
            return False
        return not any(fnmatch(path, p) for p in self.do_not_mutate)

    def covers(self, path: str) -> bool:
        """Whether `path` lies under one of the source paths (so mutmut generates mutants for it)."""
        for source in self.source_paths:
            source = source.rstrip("/")
            if path == source or path.startswith(source + "/"):
                return True
        return False


@dataclass(frozen=True)
class GateConfig:
    """The validated configuration of one project."""

    root: Path
    targets: dict[str, Target]
    mutmut: MutmutSettings
    values: dict[str, Any] = field(default_factory=dict)  # "fail_under", "pr.max_new_survivors", ...
    warnings: tuple[str, ...] = ()

    def value(self, key: str) -> Any:
        """A setting by its dotted key ("fail_under", "pr.fail_under"), its default when unset."""
        return self.values[key]

    @property
    def fail_under(self) -> float | None:
        return cast(float | None, self.values["fail_under"])

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(self.values["tests"])

    @property
    def max_children(self) -> int | None:
        return cast(int | None, self.values["max_children"])

    @property
    def timeout_multiplier(self) -> float:
        """The multiplier mutmut runs with: mutmut's own setting if any, else the gate's, else the default."""
        if self.mutmut.timeout_multiplier is not None:
            return self.mutmut.timeout_multiplier
        return self.values["timeout_multiplier"] or DEFAULT_TIMEOUT_MULTIPLIER

    @property
    def noise_kinds(self) -> tuple[str, ...]:
        """The kinds of noise skipped without running (gate.mutmut.noise); empty when none is."""
        value = self.values["skip_noise"]
        if isinstance(value, bool):
            return NOISE_KINDS if value else ()
        return tuple(value)

    @property
    def target_floors(self) -> dict[str, float | None]:
        return {name: target.fail_under for name, target in self.targets.items()}

    def mutatable_files(self) -> list[str]:
        """Every file mutmut mutates (its walk of source_paths with only_mutate/do_not_mutate), sorted."""
        files: set[str] = set()
        for source in self.mutmut.source_paths:
            path = self.root / source
            if path.is_file():
                files.add(source)
            elif path.is_dir():
                for file in path.rglob("*.py"):
                    files.add(file.relative_to(self.root).as_posix())
        return sorted(f for f in files if self.mutmut.should_mutate(f))

    def target_of(self, path: str) -> str | None:
        """The target a file belongs to: the first target (in file order) that lists it."""
        for name, target in self.targets.items():
            if path in target.files:
                return name
        return None

    def target_files(self, names: list[str] | tuple[str, ...] | None = None) -> list[str]:
        """The files of the named targets (all targets when None), each file once, sorted."""
        chosen = list(self.targets) if not names else list(names)
        files: set[str] = set()
        for name in chosen:
            if name not in self.targets:
                known = ", ".join(self.targets) or "none"
                raise ConfigError(f"unknown target {name!r} (configured targets: {known})")
            files.update(self.targets[name].files)
        return sorted(files)


def load_config(root: str | Path = ".") -> GateConfig:
    """Read and validate `[tool.gate]` and mutmut's settings of the project at `root`."""
    root = Path(root).resolve()
    pyproject = root / PYPROJECT
    if not pyproject.is_file():
        raise ConfigError(f"{pyproject}: not found (the gate reads [tool.gate] from it)")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{PYPROJECT}: invalid TOML: {error}") from None
    table = data.get("tool", {}).get("gate")
    if table is None:
        raise ConfigError(f"{PYPROJECT}: no [tool.gate] table")
    if not isinstance(table, dict):
        raise ConfigError(f"{PYPROJECT}: tool.gate must be a table")

    values = _read_section(table, "", allowed_tables={"targets", "pr"})
    pr = table.get("pr", {})
    if not isinstance(pr, dict):
        raise ConfigError(f"{PYPROJECT}: [tool.gate] pr must be a table")
    values.update({f"pr.{k}": v for k, v in _read_section(pr, "pr", allowed_tables=set()).items()})

    mutmut = _merge(root, _read_mutmut(root, data), values)
    warnings: list[str] = []
    targets = _read_targets(root, table.get("targets"), mutmut, warnings)
    gate_timeout = values["timeout_multiplier"]
    if gate_timeout is not None and mutmut.timeout_multiplier not in (None, float(gate_timeout)):
        raise ConfigError(
            f"{PYPROJECT}: [tool.gate] timeout_multiplier = {gate_timeout} conflicts with "
            f"{mutmut.origin} timeout_multiplier = {mutmut.timeout_multiplier}; set it in one place"
        )
    for test_path in values["tests"]:
        if not (root / test_path).exists():
            warnings.append(f"[tool.gate] tests: {test_path} not found (yet)")
    _check_test_selection(values["tests"], mutmut, warnings)
    return GateConfig(root=root, targets=targets, mutmut=mutmut, values=values, warnings=tuple(warnings))


def _read_section(table: dict[str, Any], section: str, allowed_tables: set[str]) -> dict[str, Any]:
    schema = KEYS[section]
    label = "[tool.gate]" if not section else f"[tool.gate.{section}]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in allowed_tables:
            continue
        if key not in schema:
            known = ", ".join(sorted([*schema, *allowed_tables]))
            raise ConfigError(f"{PYPROJECT}: {label} unknown key {key!r} (known keys: {known})")
        if not schema[key].check(value):
            raise ConfigError(f"{PYPROJECT}: {label} {key}: expected {schema[key].expected}, got {value!r}")
    for key, spec in schema.items():
        value = table.get(key, spec.default)
        if isinstance(value, list):
            value = list(value)
        values[key] = value
    return values


def _read_targets(root: Path, table: Any, mutmut: MutmutSettings, warnings: list[str]) -> dict[str, Target]:
    if table is None:
        raise ConfigError(f"{PYPROJECT}: [tool.gate.targets] is missing: name at least one group of files")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{PYPROJECT}: [tool.gate.targets] must be a table of named file lists")
    targets: dict[str, Target] = {}
    claimed: set[str] = set()
    for name, spec in table.items():
        where = f"[tool.gate.targets] {name}"
        patterns, floor = _target_spec(where, spec)
        if not patterns:
            raise ConfigError(f"{PYPROJECT}: {where}: lists no files")
        files, missing = _resolve_patterns(root, name, patterns)
        for path in files:
            if not mutmut.covers(path):
                raise ConfigError(
                    f"{PYPROJECT}: {where}: {path} is outside mutmut's source_paths "
                    f"({', '.join(mutmut.source_paths)}, from {mutmut.source_origin}), so it would get no mutants"
                )
            if not mutmut.should_mutate(path):
                where = GATE_TABLE if "do_not_mutate" in mutmut.handed else mutmut.origin
                warnings.append(f"target {name}: {path} is excluded by {where} (only_mutate/do_not_mutate)")
        if missing:
            warnings.append(f"target {name}: {', '.join(missing)} not found (yet); skipped")
        files = [f for f in files if f not in claimed and mutmut.should_mutate(f)]
        claimed.update(files)
        targets[name] = Target(
            name=name,
            patterns=tuple(patterns),
            files=tuple(sorted(files)),
            missing=tuple(missing),
            fail_under=float(floor) if floor is not None else None,
        )
    return targets


def _target_spec(where: str, spec: Any) -> tuple[list[str], Any]:
    """A target's patterns and floor, from its list form or its table form (`paths`, `fail_under`)."""
    if isinstance(spec, list):
        if not _is_str_list(spec):
            raise ConfigError(f"{PYPROJECT}: {where}: expected a list of paths or globs, got {spec!r}")
        return spec, None
    if not isinstance(spec, dict):
        raise ConfigError(f"{PYPROJECT}: {where}: expected a list of paths or a table, got {spec!r}")
    for key, value in spec.items():
        if key not in TARGET_KEYS:
            raise ConfigError(
                f"{PYPROJECT}: {where}: unknown key {key!r} (known keys: {', '.join(TARGET_KEYS)})"
            )
        if not TARGET_KEYS[key].check(value):
            raise ConfigError(
                f"{PYPROJECT}: {where}.{key}: expected {TARGET_KEYS[key].expected}, got {value!r}"
            )
    if "paths" not in spec:
        raise ConfigError(f"{PYPROJECT}: {where}: the table form needs paths = [...]")
    return spec["paths"], spec.get("fail_under")


def _resolve_patterns(root: Path, name: str, patterns: list[str]) -> tuple[list[str], list[str]]:
    """Expand globs. A plain path that is missing is reported, not fatal, when its directory exists
    (a module being written); a glob matching nothing, or a path into a missing directory, is a typo."""
    files: set[str] = set()
    missing: list[str] = []
    for pattern in patterns:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(
                f"{PYPROJECT}: [tool.gate.targets] {name}: {pattern!r} must be inside the project"
            )
        if glob.has_magic(pattern):
            matched = [m for m in glob.glob(pattern, root_dir=root, recursive=True) if m.endswith(".py")]
            if not matched:
                raise ConfigError(
                    f"{PYPROJECT}: [tool.gate.targets] {name}: {pattern!r} matches no Python file"
                )
            files.update(Path(m).as_posix() for m in matched if (root / m).is_file())
        elif (root / pattern).is_file():
            files.add(Path(pattern).as_posix())
        elif (root / pattern).is_dir():
            files.update(
                p.relative_to(root).as_posix()
                for p in (root / pattern).rglob("*.py")
                if "__pycache__" not in p.parts
            )
        elif (root / pattern).parent.is_dir():
            missing.append(pattern)
        else:
            raise ConfigError(
                f"{PYPROJECT}: [tool.gate.targets] {name}: {pattern!r} does not exist "
                f"(nor does its directory {Path(pattern).parent.as_posix()}/)"
            )
    return sorted(files), missing


def _read_mutmut(root: Path, pyproject_data: dict[str, Any]) -> MutmutSettings:
    """mutmut's own settings, read the way mutmut 3.8 reads them: [tool.mutmut] in pyproject wins over
    setup.cfg. source_paths may be empty here: [tool.gate] can hold it (see _merge)."""
    toml_table = pyproject_data.get("tool", {}).get("mutmut")
    origin, get = _toml_settings(toml_table) if toml_table is not None else _cfg_settings(root)
    source_paths = get("source_paths", list) or get("paths_to_mutate", list) or []
    for source in source_paths:
        if not (root / source).exists():
            raise ConfigError(f"{origin}: source_paths: {source!r} does not exist")
    timeout = get("timeout_multiplier", float)
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"{origin}: timeout_multiplier: expected a positive number, got {timeout!r}")
    constant = get("timeout_constant", float)
    return MutmutSettings(
        origin=origin,
        source_paths=tuple(Path(s).as_posix().rstrip("/") for s in source_paths),
        only_mutate=tuple(get("only_mutate", list) or ()),
        do_not_mutate=tuple(get("do_not_mutate", list) or ()),
        also_copy=tuple(get("also_copy", list) or ()),
        test_selection=tuple(get("pytest_add_cli_args_test_selection", list) or ()),
        pytest_args=tuple(get("pytest_add_cli_args", list) or ()),
        timeout_multiplier=float(timeout) if timeout is not None else None,
        timeout_constant=float(constant) if constant is not None else 1.0,
        source_origin=origin,
    )


GATE_TABLE = f"{PYPROJECT} [tool.gate]"


def census_selection(config: GateConfig) -> list[str]:
    """The census runs the suite the way mutmut's stats run does, so its node ids match mutmut's."""
    return list(config.mutmut.test_selection or config.tests or ("tests",))


def serial_pytest_args() -> tuple[str, ...]:
    """pytest options that keep a run in one process: mutmut's stats and the mock census watch the tests
    from inside pytest, so an `-n auto` in the user's addopts (pytest-xdist) would hide every test from
    them. `-n 0` overrides it; it is only valid while pytest-xdist is installed."""
    return ("-n", "0") if importlib.util.find_spec("xdist") is not None else ()


def setting_line(origin: str, key: str, values: list[str] | tuple[str, ...]) -> str:
    """`key = value` in the syntax of the file `origin` names: a TOML list for pyproject.toml, INI lines
    (one value per line, shown joined by spaces) for setup.cfg."""
    if origin.startswith(SETUP_CFG):
        return f"{key} = {' '.join(values)}"
    return f"{key} = [{', '.join(_toml_string(v) for v in values)}]"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _merge(root: Path, mutmut: MutmutSettings, values: dict[str, Any]) -> MutmutSettings:
    """mutmut's effective settings: its own section, completed by [tool.gate] source_paths, tests and
    also_copy (which the gate then hands to mutmut). A key both set differently is a conflict."""
    handed: dict[str, list[str]] = {}
    source_paths, source_origin = mutmut.source_paths, mutmut.source_origin
    gate_sources = tuple(Path(s).as_posix().rstrip("/") for s in values["source_paths"])
    if gate_sources and mutmut.source_paths and set(gate_sources) != set(mutmut.source_paths):
        raise ConfigError(_conflict("source_paths", gate_sources, mutmut, mutmut.source_paths))
    if gate_sources and not mutmut.source_paths:
        source_paths, source_origin = gate_sources, GATE_TABLE
        handed["source_paths"] = list(gate_sources)
    if not source_paths:
        raise ConfigError(
            f"{GATE_TABLE}: source_paths is not set (nor in {mutmut.origin}); the gate needs it explicit, "
            f'e.g. source_paths = ["src"], because mutmut\'s guess depends on the directory name'
        )
    for source in gate_sources:
        if not (root / source).exists():
            raise ConfigError(f"{GATE_TABLE}: source_paths: {source!r} does not exist")
    selection = mutmut.test_selection
    if values["tests"] and not selection:
        selection = tuple(values["tests"])
        handed["pytest_add_cli_args_test_selection"] = list(selection)
    # Lists that only add (files to copy, files to skip) take both sides.
    extra_copy = [path for path in values["also_copy"] if path not in mutmut.also_copy]
    if extra_copy:
        handed["also_copy"] = [*mutmut.also_copy, *extra_copy]
    extra_skip = [glob for glob in values["do_not_mutate"] if glob not in mutmut.do_not_mutate]
    if extra_skip:
        handed["do_not_mutate"] = [*mutmut.do_not_mutate, *extra_skip]
    pytest_args = mutmut.pytest_args
    if serial_pytest_args() and "-n" not in pytest_args:
        pytest_args = (*pytest_args, *serial_pytest_args())
        handed["pytest_add_cli_args"] = list(pytest_args)
    return MutmutSettings(
        origin=mutmut.origin,
        source_paths=source_paths,
        only_mutate=mutmut.only_mutate,
        do_not_mutate=(*mutmut.do_not_mutate, *extra_skip),
        also_copy=(*mutmut.also_copy, *extra_copy),
        test_selection=selection,
        pytest_args=pytest_args,
        timeout_multiplier=mutmut.timeout_multiplier,
        timeout_constant=mutmut.timeout_constant,
        source_origin=source_origin,
        handed=handed,
    )


def _conflict(key: str, gate_value: tuple[str, ...], mutmut: MutmutSettings, theirs: tuple[str, ...]) -> str:
    return (
        f"{GATE_TABLE}: {setting_line(GATE_TABLE, key, gate_value)} conflicts with {mutmut.origin} "
        f"{setting_line(mutmut.origin, key, theirs)}; set it in one place"
    )


# Reads one mutmut setting by key and kind (list or float); None when it is not set.
_Getter = Callable[[str, type], Any]


def _toml_settings(table: dict[str, Any]) -> tuple[str, _Getter]:
    origin = f"{PYPROJECT} [tool.mutmut]"

    def get(key: str, kind: type) -> Any:
        if key not in table:
            return None
        value = table[key]
        if kind is list and not _is_str_list(value):
            # mutmut iterates a string character by character: "py" would mean ["p", "y"].
            raise ConfigError(f"{origin}: {key}: expected a TOML list of strings, got {value!r}")
        if kind is float and not _is_number(value):
            raise ConfigError(f"{origin}: {key}: expected a number, got {value!r}")
        return value

    return origin, get


def _cfg_settings(root: Path) -> tuple[str, _Getter]:
    parser = configparser.ConfigParser()
    cfg_path = root / SETUP_CFG
    try:
        parser.read(cfg_path, encoding="utf-8")
    except configparser.Error as error:
        raise ConfigError(f"{SETUP_CFG}: cannot be parsed: {error}") from None
    has_section = parser.has_section("mutmut")
    origin = f"{SETUP_CFG} [mutmut]" if has_section else "mutmut defaults"

    def get(key: str, kind: type) -> Any:
        if not has_section or not parser.has_option("mutmut", key):
            return None
        raw = parser.get("mutmut", key)
        if kind is list:
            return [line.strip() for line in raw.split("\n") if line.strip()]
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{origin}: {key}: expected a number, got {raw!r}") from None

    return origin, get


def _check_test_selection(tests: list[str], mutmut: MutmutSettings, warnings: list[str]) -> None:
    """The gate hashes `tests` to know when verdicts are stale; mutmut runs `test_selection`. They
    must name the same suite, or the gate would miss edits to tests that do judge mutants."""
    selection = {s.rstrip("/") for s in mutmut.test_selection if not s.startswith("-")}
    if not tests:
        return
    if not selection:
        warnings.append(
            f"{mutmut.origin} sets no pytest_add_cli_args_test_selection: mutmut runs pytest's default "
            f"selection, not only [tool.gate] tests ({', '.join(tests)})"
        )
        return
    declared = {t.rstrip("/") for t in tests}
    extra = sorted(selection - declared)
    if extra:
        raise ConfigError(
            f"{mutmut.origin}: pytest_add_cli_args_test_selection runs {', '.join(extra)}, "
            f"which [tool.gate] tests in {PYPROJECT} does not list"
        )
    unused = sorted(declared - selection)
    if unused:
        warnings.append(
            f"[tool.gate] tests lists {', '.join(unused)} but {mutmut.origin} "
            "pytest_add_cli_args_test_selection does not run it"
        )
