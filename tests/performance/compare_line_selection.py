"""Soundness and cost of line-level test selection: every mutant of one module is tested twice by mutmut,
once with the tests its stats link to the function (mutmut's own selection) and once with only those that
execute the mutated line (``gate.causes.reach.select_tests`` through the entry's ``--tests-by-mutant``);
prints every mutant whose verdict differs (a difference is a bug), the tests run per mutant and both wall
times side by side.

A script, not a test (pytest does not collect it); it runs in a project root (default: this repository)
after `gate check MODULE` has generated the mutants and recorded the census with its line reach.

    python tests/performance/compare_line_selection.py py/services/model_hash_index.py [--root .] [--max-children 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gate.causes.census import CACHE, Census
from gate.causes.reach import Reach, select_tests
from gate.model import Mutant
from gate.mutmut.state import read_meta, status_of


def _mutmut(root: Path, names: list[str], children: int, selection: Path | None) -> float:
    """Wall time of mutmut re-testing the named mutants (named mutants are always re-tested)."""
    narrow = ["--tests-by-mutant", str(selection)] if selection is not None else []
    command = [sys.executable, "-m", "gate.mutmut.entry", *narrow, "run", "--max-children", str(children)]
    started = time.perf_counter()
    proc = subprocess.run([*command, *names], cwd=root, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"mutmut failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall


def _verdicts(root: Path, files: set[str]) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for name in sorted(files):
        meta = read_meta(root, name)
        if meta is not None:
            verdicts.update({key: str(status_of(code)) for key, code in meta.exit_code_by_key.items()})
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="a source file, e.g. py/services/model_hash_index.py")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args()
    root = args.root.resolve()
    check = subprocess.run(
        [sys.executable, "-m", "gate", "check", args.module, "-f", "json", "--no-progress", "--fail-under", "0"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if not check.stdout.startswith("{"):
        raise SystemExit(f"gate check failed ({check.returncode}): {check.stderr.strip()}")
    mutants = [Mutant.from_json(m) for m in json.loads(check.stdout)["mutants"]]
    tested = [m for m in mutants if m.tests]
    files = {m.file for m in mutants}
    census = Census.from_json(json.loads((root / CACHE).read_text(encoding="utf-8")))
    selected = select_tests(tested, Reach.load(census, root, files))
    names = [m.name for m in tested]
    with tempfile.TemporaryDirectory() as tmp:
        selection = Path(tmp) / "selection.json"
        selection.write_text(json.dumps(selected), encoding="utf-8")
        function_wall = _mutmut(root, names, args.max_children, None)
        by_function = _verdicts(root, files)
        line_wall = _mutmut(root, names, args.max_children, selection)
        by_line = _verdicts(root, files)
    differ = [n for n in names if by_function.get(n) != by_line.get(n)]
    function_tests = sum(len(m.tests) for m in tested)
    line_tests = sum(len(selected[m.name]) or 1 if m.name in selected else len(m.tests) for m in tested)
    print(f"{args.module}: {len(mutants)} mutants, {len(tested)} with tests, {len(selected)} with line reach")
    print(f"{'selection':<16}{'wall s':>9}{'selected':>11}{'per mutant':>12}")
    for label, wall, count in (
        ("function-level", function_wall, function_tests),
        ("line-level", line_wall, line_tests),
    ):
        print(f"{label:<16}{wall:9.1f}{count:11d}{count / max(1, len(tested)):12.2f}")
    print(f"{'ratio':<16}{line_wall / function_wall:9.2f}{line_tests / max(1, function_tests):11.2f}")
    print(f"verdicts that differ: {len(differ)} of {len(names)}")
    for name in differ:
        print(f"  {name}: function-level {by_function.get(name)}, line-level {by_line.get(name)}")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
