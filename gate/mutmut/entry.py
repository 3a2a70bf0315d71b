"""The entry point of every mutmut subprocess the gate starts: applies the gate's settings, then runs
mutmut's own `run` command, only its mutant generation or test mapping, or its preflight checks.

mutmut loads its configuration from the working directory at import, forks and edits sys.path, so it
is only ever imported here, in a child process started with cwd = the project root.

    python -m gate.mutmut.entry [SETTINGS] run [--max-children N] [NAMES...]
    python -m gate.mutmut.entry [SETTINGS] generate [--max-children N]
    python -m gate.mutmut.entry [SETTINGS] map [--max-children N]
    python -m gate.mutmut.entry [SETTINGS] preflight [--max-children N]

SETTINGS: --timeout-multiplier X, --skip-noise KINDS (comma-separated kinds of gate.mutmut.noise,
empty for none; without it every kind is skipped).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

_noise_kinds: tuple[str, ...] | None = None  # None: every kind (set by --skip-noise)


def _apply_settings(argv: list[str]) -> list[str]:
    global _noise_kinds
    from mutmut.configuration import config

    while argv[:1] in (["--timeout-multiplier"], ["--skip-noise"]):
        if argv[0] == "--timeout-multiplier":
            config().timeout_multiplier = float(argv[1])
        else:
            _noise_kinds = tuple(kind for kind in argv[1].split(",") if kind)
        argv = argv[2:]
    return argv


def _skip_noise() -> None:
    """Mark the mutants that tell nothing as skipped before mutmut tests anything (gate.mutmut.noise):
    `mutmut run` tests only mutants without a verdict, so these never run."""
    from pathlib import Path

    from mutmut.utils.file_utils import walk_mutatable_files

    from gate.mutmut import noise

    kinds = noise.KINDS if _noise_kinds is None else _noise_kinds
    noise.mark(Path.cwd(), [p.as_posix() for p in walk_mutatable_files()], kinds)


def _generate_then_skip_noise(create_mutants: Any) -> Any:
    """mutmut's `create_mutants` followed by the noise marking, for `mutmut run` to call."""

    def create(max_children: int) -> Any:
        stats = create_mutants(max_children)
        _skip_noise()
        return stats

    return create


def _max_children(argv: list[str]) -> int:
    if "--max-children" in argv:
        return int(argv[argv.index("--max-children") + 1])
    return os.cpu_count() or 2


def _generate(max_children: int) -> None:
    """The first phase of `mutmut run`, and nothing else: writes mutants/, .meta (new or changed
    functions reset to null) and .spans."""
    from pathlib import Path

    import mutmut.__main__ as mm
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test("mutant_generation")
    Path("mutants").mkdir(exist_ok=True)
    mm.copy_src_dir()
    mm.copy_also_copy_files()
    mm.setup_source_paths()
    mm.store_lines_covered_by_tests()
    stats = mm.create_mutants(max_children)
    _skip_noise()
    print(json.dumps({"mutated": stats.mutated, "unmodified": stats.unmodified, "ignored": stats.ignored}))


def _map(max_children: int) -> None:
    """Record which tests reach which function for the tests mutmut's stats do not know (forgotten by
    the gate after an edit), without testing any mutant."""
    import mutmut.__main__ as mm
    from mutmut.workers.isolation import get_mutant_runner

    _generate(max_children)
    mm.collect_or_load_stats(get_mutant_runner(max_children))


def _preflight(max_children: int) -> None:
    """What `mutmut run` checks before testing mutants: stats, the clean run and the forced-fail run.
    Prints one JSON line with the outcome of each."""
    import mutmut.__main__ as mm
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.state import state
    from mutmut.workers.isolation import get_mutant_runner

    _generate(max_children)
    runner = get_mutant_runner(max_children)
    mm.collect_or_load_stats(runner)
    set_mutant_under_test("")
    runner.run_clean_tests(tests=[])  # as `mutmut run` does; doctor judges the clean suite itself
    forced_ok = True
    set_mutant_under_test("fail")
    try:
        forced_ok = runner.run_forced_fail() != 0
    except mm.MutmutProgrammaticFailException:
        forced_ok = True
    set_mutant_under_test("")
    result = {
        "forced_fail_ok": forced_ok,
        "duration_by_test": dict(state().duration_by_test),
        "tests_by_function": {k: sorted(v) for k, v in state().tests_by_mangled_function_name.items()},
    }
    sys.stdout = sys.__stdout__
    print("GATE-PREFLIGHT " + json.dumps(result))  # read by gate.mutmut.preflight


def baseline_limit(
    tests: Iterable[str], duration_by_test: Mapping[str, float], factor: float, constant: float
) -> float:
    """A mutant's wall-clock limit in seconds: its own tests' measured durations times `factor`, plus
    `constant` for the worker's fork, pytest's start-up and fixtures (mutmut measures only the call
    phase)."""
    return sum(duration_by_test.get(test, 0.0) for test in tests) * factor + constant


def _limit_by_baseline(runner: Any) -> Any:
    """Make `runner` give each mutant the limit of `baseline_limit` over the tests it is submitted with
    (whatever selected them), not over every test of its function as mutmut does. The constant is
    mutmut's floor, timeout_constant x multiplier: 1 s was measured to turn survivors into timeouts on a
    loaded machine, where a worker's pytest start-up alone can take longer. mutmut derives the wall limit inside `submit` as (estimate + constant) x
    multiplier and the CPU limit is twice the wall limit in both runners, so the estimate passed on is
    the one that yields exactly our limit."""
    from mutmut.configuration import config
    from mutmut.state import state

    submit = runner.submit

    def limited(mutant_name: str, tests: list[str], _cpu_limit: int, _estimate: float) -> None:
        cfg = config()
        constant = cfg.timeout_constant * cfg.timeout_multiplier
        wall = baseline_limit(tests, state().duration_by_test, cfg.timeout_multiplier, constant)
        submit(mutant_name, tests, math.ceil(wall * 2), wall / cfg.timeout_multiplier - cfg.timeout_constant)

    runner.submit = limited
    return runner


def _fixed_costs_once(runner: Any) -> Any:
    """Skip mutmut's clean-suite and forced-fail runs when they already passed on the same files
    (gate.mutmut.fixed_costs); record them when they pass. The key is taken before mutmut generates
    anything, from the project's files as they are."""
    from pathlib import Path

    import mutmut
    import mutmut.__main__ as mm

    from gate.mutmut.fixed_costs import ALL_TESTS, FixedCosts, content_key

    root = Path.cwd()
    record = FixedCosts.load(root, content_key(root, f"mutmut {mutmut.__version__}"))
    run_clean, run_forced_fail = runner.run_clean_tests, mm.run_forced_fail_test

    def clean(tests: list[str]) -> int:
        if record.clean_passed(tests):
            return 0
        code: int = run_clean(tests=tests)
        if code == 0:
            record.clean |= set(tests) if tests else {ALL_TESTS}
            record.save(root)
        return code

    def forced_fail(mutant_runner: Any) -> None:
        if record.forced_fail:
            return
        run_forced_fail(mutant_runner)  # exits when the tests cannot be made to fail
        record.forced_fail = True
        record.save(root)

    runner.run_clean_tests = clean
    mm.run_forced_fail_test = forced_fail  # type: ignore[assignment]
    return runner


def _run(rest: list[str]) -> None:
    """`mutmut run` with the gate's hooks on the runner it creates."""
    import mutmut.__main__ as mm

    mm.create_mutants = _generate_then_skip_noise(mm.create_mutants)
    make_runner = mm.get_mutant_runner
    mm.get_mutant_runner = lambda *args, **kwargs: _fixed_costs_once(
        _limit_by_baseline(make_runner(*args, **kwargs))
    )
    mm.cli(["run", *rest], prog_name="mutmut")


def main(argv: list[str]) -> None:
    argv = _apply_settings(argv)
    if not argv:
        raise SystemExit("usage: python -m gate.mutmut.entry [SETTINGS] run|generate|map|preflight")
    command, rest = argv[0], argv[1:]
    if command == "generate":
        _generate(_max_children(rest))
    elif command == "map":
        _map(_max_children(rest))
    elif command == "preflight":
        _preflight(_max_children(rest))
    elif command == "run":
        _run(rest)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
