"""Speed of the gate against raw mutmut, from one invocation: wall time and mutants/s, side by side.

For each project (a small generated one; one services module copied with the suite that tests it):
  mutmut cold   `mutmut run` from a clean state (no mutants/, no .gate/), with as many workers as the
                gate takes by default (the ratios' base), and with mutmut's own default
  gate cold     `gate run --no-causes` and `gate run` (with the mock census) from a clean state
  gate warm     `gate run` again, nothing changed
  check         `gate check MODULE` after the run (generation, witnesses), then again, nothing changed
  pr            `gate pr` after a change to one function on a branch
A script, not a test (pytest does not collect bench_*.py); no figure is asserted.

    python tests/performance/bench_speed.py [--skip-services] [--module py/services/model_hash_index.py]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from gate.config import load_config  # noqa: E402
from gate.mutmut.process import children  # noqa: E402
from tests.gate.git_helpers import GitRepo  # noqa: E402
from tests.gate.projects import make_project  # noqa: E402
from tests.performance.bench_gate_overhead import _module, _tests  # noqa: E402

# The generated projects set no floor, which the gate refuses: every score passes here.
_ANY_SCORE = ("--fail-under", "0")


def _clean(root: Path) -> None:
    for name in ("mutants", ".gate"):
        shutil.rmtree(root / name, ignore_errors=True)


def _timed(root: Path, *args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: under a floor, still a finished run
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def _mutants(root: Path) -> int:
    return sum(len(json.loads(p.read_text())["exit_code_by_key"]) for p in (root / "mutants").rglob("*.meta"))


def _tested(root: Path) -> int:
    """Mutants mutmut actually ran (it records a duration for each one it tests)."""
    return sum(len(json.loads(p.read_text())["durations_by_key"]) for p in (root / "mutants").rglob("*.meta"))


def _bench(root: Path, module: str, function_edit: tuple[str, str]) -> list[tuple[str, float, int]]:
    """(scenario, wall seconds, mutants it judged) for one project committed on `main`."""
    rows: list[tuple[str, float, int]] = []
    workers = children(load_config(root), None)  # the gate's default for this project
    _clean(root)
    wall = _timed(root, "-m", "mutmut", "run", "--max-children", str(workers))
    rows.append((f"mutmut cold, {workers} workers", wall, _mutants(root)))
    _clean(root)
    wall = _timed(root, "-m", "mutmut", "run")
    rows.append((f"mutmut cold, {os.cpu_count()} workers", wall, _mutants(root)))
    _clean(root)
    wall = _timed(root, "-m", "gate", "run", "--quiet", "--no-causes", *_ANY_SCORE)
    rows.append(("gate cold, --no-causes", wall, _tested(root)))
    _clean(root)
    wall = _timed(root, "-m", "gate", "run", "--quiet", *_ANY_SCORE)
    rows.append(("gate cold", wall, _tested(root)))
    rows.append(("gate warm", _timed(root, "-m", "gate", "run", "--quiet", *_ANY_SCORE), _mutants(root)))
    # The first check after a full run generates once and looks for witnesses; the next one is warm.
    rows.append(("gate check, after run", _timed(root, "-m", "gate", "check", module, "-q", *_ANY_SCORE), 0))
    rows.append(("gate check warm", _timed(root, "-m", "gate", "check", module, "-q", *_ANY_SCORE), 0))
    repo = GitRepo.__new__(GitRepo)
    repo.root = root
    repo.git("checkout", "-q", "-b", "change")
    path = root / module
    old, new = function_edit
    path.write_text(path.read_text().replace(old, new, 1))
    repo.commit("change one function")
    rows.append(
        ("gate pr, one function", _timed(root, "-m", "gate", "pr", "--base", "main", "-f", "text"), 0)
    )
    repo.git("checkout", "-q", "main")
    return rows


def _small(root: Path) -> Path:
    make_project(
        root,
        source={f"mod{i}.py": _module(i) for i in range(4)},
        tests={f"test_mod{i}.py": _tests(i) for i in range(4)},
        fail_under=None,
    )
    return root


def _services(root: Path, module: str, tests: str) -> Path:
    shutil.copytree(REPO / "py", root / "py", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests" / "services").mkdir(parents=True)
    for name in ("__init__.py", "conftest.py", "cache_fixtures.py", Path(tests).name):
        shutil.copy(REPO / "tests" / "services" / name, root / "tests" / "services" / name)
    (root / "tests" / "__init__.py").write_text("")
    shutil.copy(REPO / "conftest.py", root / "conftest.py")
    (root / "setup.cfg").write_text(
        "[mutmut]\nsource_paths =\n    py\nonly_mutate =\n    "
        + module
        + "\ndo_not_mutate =\n    py/__init__.py\nalso_copy =\n    conftest.py\n"
        + "pytest_add_cli_args_test_selection =\n    "
        + tests
        + "\ntimeout_multiplier = 3.0\nuse_git_change_detection = false\n"
    )
    (root / "pyproject.toml").write_text(
        f'[tool.gate]\ntests = ["{tests}"]\n\n[tool.gate.targets]\nmodule = ["{module}"]\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\nasyncio_mode = "auto"\n'
        'asyncio_default_fixture_loop_scope = "function"\n'
    )
    return root


def _print(title: str, rows: list[tuple[str, float, int]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    print(f"  {'scenario':<26} {'wall s':>8} {'mutants':>8} {'mutants/s':>10} {'x mutmut cold':>14}")
    for name, wall, count in rows:
        rate = f"{count / wall:.1f}" if count else "-"
        print(f"  {name:<26} {wall:>8.2f} {count or '-':>8} {rate:>10} {wall / base:>14.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-services", action="store_true")
    parser.add_argument("--module", default="py/services/model_hash_index.py")
    parser.add_argument("--tests", default="tests/services/test_model_hash_index.py")
    parser.add_argument(
        "--edit", nargs=2, default=None, metavar=("OLD", "NEW"), help="the one-function change"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = _small(Path(tmp) / "small")
        GitRepo(small).commit("start")
        _print(
            "small generated project (4 modules, 24 tests)",
            _bench(small, "pkg/mod0.py", ('"v0"', '"w0"')),
        )
        if not args.skip_services:
            services = _services(Path(tmp) / "services", args.module, args.tests)
            GitRepo(services).commit("start")
            edit = tuple(args.edit) if args.edit else _first_condition(services / args.module)
            _print(f"services module {args.module}", _bench(services, args.module, edit))


def _first_condition(path: Path) -> tuple[str, str]:
    """A one-function change for the pr scenario that keeps the suite passing: the first `if COND:` of
    the module becomes `if (COND):` (the same behaviour, a changed line whose mutants are tested again)."""
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"(\s*)if (.+):", line)
        if match and not match.group(2).startswith("("):
            return line, f"{match.group(1)}if ({match.group(2)}):"
    raise SystemExit(f"{path}: no `if` line to change for the pr scenario; pass --edit OLD NEW")


if __name__ == "__main__":
    main()
