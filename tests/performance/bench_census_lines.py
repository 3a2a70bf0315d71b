"""Cost of per-test line reach: the census run of the services suite alone and with the lines each test runs
in the mutated sources recorded too (one coverage.py context per test), alternating, several rounds; prints
both medians, the ratio and the size of the line data.

A script, not a test (pytest does not collect bench_*.py); it runs the suite in the repository root (the census
passes its result through .gate/census.run.json; the logs go to a temporary directory).

    python tests/performance/bench_census_lines.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gate.causes.census import collect  # noqa: E402
from gate.config import census_selection, load_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = load_config(ROOT)
    tests = census_selection(config)
    sources = list(config.mutmut.source_paths)
    alone: list[float] = []
    with_lines: list[float] = []
    cpu = {"alone": 0.0, "lines": 0.0}  # CPU seconds of the pytest processes: wall time varies with load
    size = 0
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "census.log"
        for _ in range(args.rounds):
            before = _children_cpu()
            alone.append(collect(ROOT, tests, log_path=log).duration_s)
            middle = _children_cpu()
            census = collect(ROOT, tests, log_path=log, line_paths=sources)
            cpu["alone"] += middle - before
            cpu["lines"] += _children_cpu() - middle
            with_lines.append(census.duration_s)
            size = len(json.dumps(census.lines))
    tested = len(census.tests)
    files = len(census.lines)
    a, b = statistics.median(alone), statistics.median(with_lines)
    print(f"services suite: {tested} tests, sources {', '.join(sources)}; {args.rounds} rounds, medians")
    print(f"{'census alone':<28}{a:8.2f} s   runs: {' '.join(f'{t:.2f}' for t in alone)}")
    print(f"{'census + lines per test':<28}{b:8.2f} s   runs: {' '.join(f'{t:.2f}' for t in with_lines)}")
    print(f"{'ratio (wall)':<28}{b / a:8.2f} x")
    ca, cb = cpu["alone"] / args.rounds, cpu["lines"] / args.rounds
    print(f"{'CPU per run':<28}{ca:8.2f} s alone, {cb:.2f} s with lines: {cb / ca:.2f} x")
    print(f"{'line data':<28}{size / 1024:8.1f} KiB for {files} files")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
