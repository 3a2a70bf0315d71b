"""Setting a project up: find its source packages, tests and pytest configuration, and plan the
`[tool.gate]` table that makes the gate run on it, as an edit of pyproject.toml that keeps the user's text.

It decides and plans; it writes only through `apply` (atomically), and never replaces a value a user set
unless told to: a key set to something else is a conflict naming the file and the key.
"""

from __future__ import annotations

import configparser
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from gate.atomic import write_text_atomic
from gate.config import PYPROJECT, SETUP_CFG
from gate.exit_code import ConfigError

# Directories that are never source packages.
NOT_SOURCE = {"tests", "test", "docs", "doc", "build", "dist", "mutants", "examples", "scripts", "site"}
TEST_DIRS = ("tests", "test")
# A documented starting floor: nothing has been measured at init, so the first run decides nothing by its
# score; the comment says to raise it to the score `gate run` prints.
STARTING_FLOOR = 0
FLOOR_COMMENT = "Starting floor, nothing measured yet: after `gate run`, raise it to the score it prints."


@dataclass(frozen=True)
class PytestConfig:
    """Where pytest is configured (pytest's own order of precedence) and what the gate reads from it."""

    origin: str  # e.g. "pyproject.toml [tool.pytest.ini_options]", or "" when pytest is not configured
    testpaths: tuple[str, ...] = ()
    addopts: str = ""


@dataclass(frozen=True)
class Layout:
    """What was found in a project: the paths mutmut mutates, the packages in them, the tests."""

    source_paths: tuple[str, ...]  # "src", or each top-level package directory
    packages: tuple[str, ...]  # repository-relative package directories ("src/pkg", "pkg", "ns")
    tests: tuple[str, ...]  # test directories (or files)
    pytest: PytestConfig
    also_copy: tuple[str, ...] = ()  # files the tests need that mutmut does not copy (a root conftest.py)
    do_not_mutate: tuple[str, ...] = ()  # test directories inside a package


@dataclass
class Plan:
    """The edit init proposes: the new text of pyproject.toml and what it leaves as the user had it."""

    path: Path
    old_text: str
    new_text: str
    kept: list[str] = field(default_factory=list)  # keys left alone (already set, or set in [mutmut])

    @property
    def changes(self) -> bool:
        return self.old_text != self.new_text

    def diff(self) -> str:
        """A unified diff of pyproject.toml: exactly what `apply` writes."""
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            fromfile=f"{PYPROJECT} (now)",
            tofile=f"{PYPROJECT} (after gate init)",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def detect(root: Path) -> Layout:
    """The layout of the project at `root`: src/ layout, one or several flat packages (namespace ones too)."""
    src = root / "src"
    if src.is_dir() and _package_dirs(src):
        packages = [f"src/{name}" for name in _package_dirs(src)]
        source_paths = ["src"]
    else:
        packages = _package_dirs(root)
        source_paths = list(packages)
    if not packages:
        raise ConfigError(
            f"{root}: no Python package found (looked in src/ and at the top level); "
            'set [tool.gate] source_paths = ["..."] in pyproject.toml by hand'
        )
    inner_tests = [
        path.relative_to(root).as_posix()
        for package in packages
        for path in sorted((root / package).rglob("*"))
        if path.is_dir() and path.name in TEST_DIRS and "__pycache__" not in path.parts
    ]
    pytest_config = find_pytest_config(root)
    tests = [t for t in TEST_DIRS if (root / t).is_dir()] + inner_tests
    tests += [
        t.rstrip("/") for t in pytest_config.testpaths if (root / t).exists() and t.rstrip("/") not in tests
    ]
    return Layout(
        source_paths=tuple(source_paths),
        packages=tuple(packages),
        tests=tuple(tests),
        pytest=pytest_config,
        also_copy=("conftest.py",) if (root / "conftest.py").is_file() else (),
        do_not_mutate=tuple(f"{path}/*" for path in inner_tests),
    )


def _package_dirs(base: Path) -> list[str]:
    """Directory names under `base` holding Python code: regular packages, and namespace packages
    (no __init__.py) whose name is an identifier."""
    found = []
    for child in sorted(base.iterdir()):
        if not child.is_dir() or child.name.startswith((".", "_")) or child.name in NOT_SOURCE:
            continue
        if (
            not child.name.isidentifier()
            or (child / "pyvenv.cfg").exists()
            or child.name.endswith(".egg-info")
        ):
            continue
        if (child / "__init__.py").is_file() or any(child.glob("*.py")) or any(child.glob("*/*.py")):
            found.append(child.name)
    return found


def find_pytest_config(root: Path) -> PytestConfig:
    """pytest's configuration file, in pytest's order: pytest.ini, pyproject.toml, tox.ini, setup.cfg."""
    ini = _ini_section(root / "pytest.ini", "pytest")
    if ini is not None:
        return _pytest_config("pytest.ini [pytest]", ini.get("testpaths", ""), ini.get("addopts", ""))
    if (root / PYPROJECT).is_file():
        tool = _read_toml(root / PYPROJECT).get("tool", {}).get("pytest")
        if isinstance(tool, dict):
            options = tool.get("ini_options", tool)
            name = "[tool.pytest.ini_options]" if "ini_options" in tool else "[tool.pytest]"
            addopts = options.get("addopts", "")
            return _pytest_config(
                f"{PYPROJECT} {name}",
                options.get("testpaths", []),
                " ".join(addopts) if isinstance(addopts, list) else str(addopts),
            )
    for file, section in (("tox.ini", "pytest"), (SETUP_CFG, "tool:pytest")):
        found = _ini_section(root / file, section)
        if found is not None:
            return _pytest_config(f"{file} [{section}]", found.get("testpaths", ""), found.get("addopts", ""))
    return PytestConfig(origin="")


def _pytest_config(origin: str, testpaths: Any, addopts: str) -> PytestConfig:
    paths = testpaths.split() if isinstance(testpaths, str) else [str(p) for p in testpaths]
    return PytestConfig(origin=origin, testpaths=tuple(paths), addopts=addopts)


def _ini_section(path: Path, section: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise ConfigError(f"{path.name}: cannot be parsed: {error}") from None
    return dict(parser[section]) if parser.has_section(section) else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name}: invalid TOML: {error}") from None


def propose_targets(root: Path, layout: Layout, per: str = "package") -> dict[str, list[str]]:
    """Targets: one per package (its directories of modules, test directories left out), or one per
    module with `per="module"`."""
    targets: dict[str, list[str]] = {}
    skipped = {glob.removesuffix("/*") for glob in layout.do_not_mutate}
    for package in layout.packages:
        directories = sorted(
            {
                path.parent.relative_to(root).as_posix()
                for path in (root / package).rglob("*.py")
                if "__pycache__" not in path.parts
                and not any(path.is_relative_to(root / skip) for skip in skipped)
            }
        )
        if per == "module":
            for directory in directories:
                for module in sorted((root / directory).glob("*.py")):
                    if module.name != "__init__.py":
                        name = module.relative_to(root / package).with_suffix("").as_posix()
                        targets[name.replace("/", ".")] = [module.relative_to(root).as_posix()]
        else:
            targets[Path(package).name] = [f"{directory}/*.py" for directory in directories]
    return targets


def plan(root: Path, layout: Layout, targets: dict[str, list[str]], *, overwrite: bool = False) -> Plan:
    """The edit of pyproject.toml that sets the gate up. A key the user set to another value is a
    ConfigError naming the file and the key, unless `overwrite`."""
    path = root / PYPROJECT
    old_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        document = tomlkit.parse(old_text)
    except tomlkit.exceptions.ParseError as error:
        raise ConfigError(f"{PYPROJECT}: invalid TOML: {error}") from None
    mutmut_keys = _mutmut_keys(root, document)
    result = Plan(path=path, old_text=old_text, new_text=old_text)
    tool = _table(document, "tool", super_table=True)
    gate = _table(tool, "gate")
    wanted: dict[str, Any] = {"fail_under": STARTING_FLOOR}
    if "source_paths" not in mutmut_keys and "paths_to_mutate" not in mutmut_keys:
        wanted["source_paths"] = list(layout.source_paths)
    wanted["tests"] = list(layout.tests)
    wanted["also_copy"] = list(layout.also_copy)
    wanted["do_not_mutate"] = list(layout.do_not_mutate)
    if "fail_under" in gate:  # a floor the user chose is theirs, whatever it is
        result.kept.append("[tool.gate] fail_under (already set)")
        del wanted["fail_under"]
    if "fail_under" in wanted:
        gate.add(tomlkit.comment(FLOOR_COMMENT))
    for key, value in wanted.items():
        if value != []:
            _set(gate, key, value, f"[tool.gate] {key}", overwrite, result.kept)
    table = _table(gate, "targets")
    for name, paths in targets.items():
        _set(table, name, paths, f"[tool.gate.targets] {name}", overwrite, result.kept)
    for key in sorted(mutmut_keys & {"source_paths", "pytest_add_cli_args_test_selection"}):
        result.kept.append(f"{mutmut_keys_origin(root, document)} {key} (mutmut's own setting, used as is)")
    result.new_text = tomlkit.dumps(document)
    return result


def _table(parent: Any, key: str, *, super_table: bool = False) -> Table:
    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    table = parent[key]
    if not isinstance(table, Table):
        raise ConfigError(f"{PYPROJECT}: {key} must be a table")
    return table


def _set(table: Table, key: str, value: Any, label: str, overwrite: bool, kept: list[str]) -> None:
    if key not in table:
        table[key] = _multiline(value)
        return
    current = table[key].unwrap() if hasattr(table[key], "unwrap") else table[key]
    if current == value:
        kept.append(f"{label} (already set)")
        return
    if not overwrite:
        raise ConfigError(
            f"{PYPROJECT}: {label} is already set to {current!r}; init would write {value!r} "
            "(edit it by hand, or pass --overwrite)"
        )
    table[key] = _multiline(value)


def _multiline(value: Any) -> Any:
    if isinstance(value, list) and len(value) > 2:
        array = tomlkit.array()
        array.extend(value)
        array.multiline(True)
        return array
    return value


def _mutmut_keys(root: Path, document: Any) -> set[str]:
    """The keys mutmut's own section sets (as mutmut reads it: [tool.mutmut] wins over setup.cfg)."""
    tool = document.get("tool", {})
    if "mutmut" in tool:
        return set(tool["mutmut"])
    section = _ini_section(root / SETUP_CFG, "mutmut")
    return set(section or ())


def mutmut_keys_origin(root: Path, document: Any) -> str:
    return f"{PYPROJECT} [tool.mutmut]" if "mutmut" in document.get("tool", {}) else f"{SETUP_CFG} [mutmut]"


def apply(plan_: Plan) -> None:
    """Write the planned pyproject.toml (atomically: the user's file is whole before and after)."""
    write_text_atomic(plan_.path, plan_.new_text)
