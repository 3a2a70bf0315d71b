"""Overhead of the gate over raw mutmut: `mutmut run` and `gate run` on the same fresh project, from a
clean state (no mutants/, no .gate/), alternating, several rounds; prints both medians and the ratio.

A script, not a test (pytest does not collect bench_*.py). Target: gate <= 1.05 x mutmut.

    python tests/performance/bench_gate_overhead.py [--rounds 5] [--modules 4]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.gate.projects import make_project


def _module(index: int) -> str:
    return "".join(
        f"""

def f{index}_{n}(x, y=3):
    if x > {n}:
        return x * y + {n}
    if x == {n}:
        return x - y
    return [x, y, "v{n}"]
"""
        for n in range(6)
    )


def _tests(index: int) -> str:
    # Exact checks on the first branch, a weak one on the last: a mix of killed and surviving mutants.
    body = "".join(
        f"""

def test_f{index}_{n}():
    assert m.f{index}_{n}({n + 2}) == {(n + 2) * 3 + n}
    assert m.f{index}_{n}({n}, 1) == {n - 1}
    assert m.f{index}_{n}(-5)
"""
        for n in range(6)
    )
    return f"from pkg import mod{index} as m\n{body}"


def _clean(root: Path) -> None:
    shutil.rmtree(root / "mutants", ignore_errors=True)
    shutil.rmtree(root / ".gate", ignore_errors=True)


def _time(args: list[str], root: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # gate exits 1 when the score is under the floor
        raise SystemExit(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(
            root,
            source={f"mod{i}.py": _module(i) for i in range(args.modules)},
            tests={f"test_mod{i}.py": _tests(i) for i in range(args.modules)},
            fail_under=0,
        )
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        (root / ".gitignore").write_text("mutants/\n.gate/\n")
        commands = {
            "mutmut": [sys.executable, "-m", "mutmut", "run"],
            "gate": [sys.executable, "-m", "gate", "run", "--quiet"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        _clean(root)
        _time(commands["mutmut"], root)  # warm the OS caches once, not measured
        for round_ in range(args.rounds):
            order = list(commands) if round_ % 2 == 0 else list(reversed(commands))
            for name in order:
                _clean(root)
                times[name].append(_time(commands[name], root))
            print(
                f"round {round_ + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in commands), flush=True
            )
        mutants = sum(1 for _ in (root / "mutants" / "pkg").glob("*.meta"))
        mutmut_median = statistics.median(times["mutmut"])
        gate_median = statistics.median(times["gate"])
        print(
            f"project: {args.modules} modules ({mutants} .meta files), {args.rounds} rounds, fresh state each run"
        )
        print(f"median mutmut run: {mutmut_median:.2f} s")
        print(f"median gate run:   {gate_median:.2f} s")
        print(f"ratio gate/mutmut: {gate_median / mutmut_median:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
