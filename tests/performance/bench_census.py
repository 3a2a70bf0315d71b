"""Cost of the mock census on this repository's services suite: the suite alone, the suite under the census
plugin (a fresh census), and an unchanged re-run served from the cache (fingerprint only). Prints them
side by side.

A script, not a test (pytest does not collect bench_*.py).

    python tests/performance/bench_census.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gate.causes.census import fingerprint, load_or_collect  # noqa: E402
from gate.config import census_selection, load_config  # noqa: E402


def _timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    config = load_config(ROOT)
    tests = census_selection(config)
    sources = list(config.mutmut.source_paths)
    plain, fresh, cached, prints = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        cache, log = Path(scratch) / "census.json", Path(scratch) / "census.log"
        for _ in range(rounds):
            plain.append(
                _timed(
                    lambda: subprocess.run(
                        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                        cwd=ROOT,
                        capture_output=True,
                        check=False,
                    )
                )
            )
            cache.unlink(missing_ok=True)
            fresh.append(
                _timed(lambda: load_or_collect(ROOT, tests, sources, log_path=log, cache_path=cache))
            )
            cached.append(
                _timed(lambda: load_or_collect(ROOT, tests, sources, log_path=log, cache_path=cache))
            )
            prints.append(_timed(lambda: fingerprint(ROOT, tests, sources)))
    print(f"suite: {' '.join(tests)}; sources: {' '.join(sources)}; {rounds} rounds, medians")
    print(f"{'suite alone':<28}{statistics.median(plain):8.2f} s")
    print(f"{'fresh census (suite+plugin)':<28}{statistics.median(fresh):8.2f} s")
    print(f"{'unchanged re-run (cache)':<28}{statistics.median(cached):8.3f} s")
    print(f"{'  of which the fingerprint':<28}{statistics.median(prints):8.3f} s")


if __name__ == "__main__":
    main()
