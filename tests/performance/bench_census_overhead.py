"""Cost of the census plugin on a generated suite of many small tests that patch in every way it records
(monkeypatch, mock.patch, plain assignment through a helper, on an instance and on a class): the suite alone and
under the plugin, alternating; prints both medians and the ratio.

A script, not a test (pytest does not collect bench_*.py).

    python tests/performance/bench_census_overhead.py [--files 40] [--tests 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCE = """\
class Client:
    def send(self, x):
        return self._session()(x)

    def _session(self):
        return str


def helper(x):
    return x * 2
"""

HELPERS = """\
from pkg.mod import Client


def make_client():
    client = Client()
    client._session = lambda: repr
    return client
"""


def _test_file(index: int, tests: int) -> str:
    body = [
        "from unittest import mock",
        "",
        "from pkg import mod",
        "from tests.helpers import make_client",
        "",
    ]
    for n in range(tests):
        style = n % 4
        body.append(f"\ndef test_{index}_{n}(monkeypatch):")
        if style == 0:
            body.append("    monkeypatch.setattr(mod, 'helper', lambda x: 0)")
        elif style == 1:
            body.append("    with mock.patch.object(mod.Client, 'send', return_value=1):\n        pass")
        elif style == 2:
            body.append("    assert make_client().send(1) == '1'")
        else:
            body.append("    assert mod.helper(2) == 4")
    return "\n".join(body) + "\n"


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--tests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "pkg").mkdir()
        (root / "pkg" / "__init__.py").write_text("")
        (root / "pkg" / "mod.py").write_text(SOURCE)
        (root / "tests").mkdir()
        (root / "tests" / "__init__.py").write_text("")
        (root / "tests" / "helpers.py").write_text(HELPERS)
        for index in range(args.files):
            (root / "tests" / f"test_{index}.py").write_text(_test_file(index, args.tests))
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir=.", "tests"]
        census = [*base, "-p", "gate.causes.plugin", f"--gate-census-out={root / 'census.json'}"]
        plain, under = [], []
        for _ in range(args.rounds):
            plain.append(_timed(base, root))
            under.append(_timed(census, root))
    count = args.files * args.tests
    alone, with_census = statistics.median(plain), statistics.median(under)
    print(f"{count} tests in {args.files} files, {args.rounds} rounds, medians")
    print(f"{'suite alone':<24}{alone:8.2f} s")
    print(f"{'suite under the census':<24}{with_census:8.2f} s")
    print(f"{'ratio':<24}{with_census / alone:8.2f} x")


if __name__ == "__main__":
    main()
