"""Cost and yield of the witness stage on generated projects with weak tests: seconds per survivor (a cold
stage, then the cached one), and the share of weak-assertion survivors that got a verified assertion.

A script, not a test (pytest does not collect bench_*.py). Two projects: the known-answer calc module of
tests/gate/test_witness_e2e.py, and the bench_gate_overhead modules (six functions each, one weak check).
The services under py/ have no survivor under their own suite, so they have nothing to measure.

    python tests/performance/bench_witness.py [--modules 2] [--budget 600]
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

from gate.model import Cause, RunResult
from gate.witness import observe
from tests.gate.projects import make_project
from tests.gate.test_witness_e2e import CALC, WEAK_TESTS
from tests.performance.bench_gate_overhead import _module, _tests


def measure(name: str, root: Path, budget: float) -> None:
    """Run the gate without witnesses for the verdicts, then time the witness stage alone, cold and cached."""
    subprocess.run([sys.executable, "-m", "gate", "run", "-q"], cwd=root, check=False, timeout=1800)
    result = RunResult.from_json(json.loads((root / ".gate" / "results.json").read_text(encoding="utf-8")))
    chosen = [m for m in result.mutants if observe.wanted(m)]
    (root / observe.CACHE).unlink(missing_ok=True)
    started = time.monotonic()
    warnings: list[str] = []
    observe.attach(root, result.mutants, budget, warnings)
    cold = time.monotonic() - started
    for mutant in chosen:
        mutant.witness = None
    started = time.monotonic()
    observe.attach(root, result.mutants, budget, warnings)
    cached = time.monotonic() - started
    weak = [m for m in chosen if m.cause == Cause.WEAK_ASSERTION]
    verified = [m for m in weak if m.witness is not None and m.witness.verified]
    kinds: dict[str, int] = {}
    for mutant in chosen:
        kind = mutant.witness.kind if mutant.witness is not None else "none"
        kinds[kind] = kinds.get(kind, 0) + 1
    count = max(len(chosen), 1)
    print(
        f"{name}: {len(chosen)} survivors looked at ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})"
    )
    print(f"  cold   {cold:7.2f} s  {cold / count:6.2f} s per survivor")
    print(f"  cached {cached:7.2f} s  {cached / count:6.2f} s per survivor")
    share = 100.0 * len(verified) / len(weak) if weak else 0.0
    print(
        f"  weak-assertion survivors with a verified assertion: {len(verified)} of {len(weak)} ({share:.0f}%)"
    )
    for warning in warnings:
        print(f"  warning: {warning}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=2)
    parser.add_argument("--budget", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gate-bench-witness-") as scratch:
        calc = make_project(
            Path(scratch) / "calc", source={"calc.py": CALC}, tests={"test_calc.py": WEAK_TESTS}
        )
        measure("calc (known answers)", calc.root, args.budget)
        modules = make_project(
            Path(scratch) / "modules",
            source={f"mod{i}.py": _module(i) for i in range(args.modules)},
            tests={f"test_mod{i}.py": _tests(i) for i in range(args.modules)},
        )
        measure(f"generated ({args.modules} modules x 6 functions)", modules.root, args.budget)


if __name__ == "__main__":
    main()
