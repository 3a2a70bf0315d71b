"""The entry point of every mutmut subprocess the gate starts: applies the gate's settings, then runs
mutmut's own `run` command, only its mutant generation or test mapping, or its preflight checks.

mutmut loads its configuration from the working directory at import, forks and edits sys.path, so it
is only ever imported here, in a child process started with cwd = the project root.

    python -m gate.mutmut.entry [--timeout-multiplier X] run [--max-children N] [NAMES...]
    python -m gate.mutmut.entry [--timeout-multiplier X] generate [--max-children N]
    python -m gate.mutmut.entry [--timeout-multiplier X] map [--max-children N]
    python -m gate.mutmut.entry [--timeout-multiplier X] preflight [--max-children N]

``--tests-by-mutant FILE`` (before the command) narrows each named mutant's tests to a JSON map
{mutant name: [node ids]} (line-level selection, see gate.causes.reach.select_tests).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def _apply_settings(argv: list[str]) -> list[str]:
    from mutmut.configuration import config

    if argv[:1] == ["--timeout-multiplier"]:
        config().timeout_multiplier = float(argv[1])
        argv = argv[2:]
    return argv


def _narrow_tests(argv: list[str]) -> list[str]:
    """Line-level test selection: with ``--tests-by-mutant FILE``, every mutant in the file's map gets only
    its listed tests (those that execute its mutated line) instead of all the tests mutmut's stats link to
    its function; mutants not in the map keep mutmut's choice. Hooked where mutmut hands a mutant and its
    tests to a worker (``MutantRunner.submit`` of each runner class), so ordering, timeouts and verdicts
    stay mutmut's."""
    if argv[:1] != ["--tests-by-mutant"]:
        return argv
    from pathlib import Path

    from mutmut.workers.isolation import MutantRunner

    selected: dict[str, list[str]] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))

    def wrap(submit: Any) -> Any:
        def narrowed(self: Any, mutant_name: str, tests: list[str], *args: Any, **kwargs: Any) -> None:
            keep = selected.get(mutant_name)
            if keep is not None and tests:
                known = set(tests)
                # A line no test runs: one test of the function shows the mutant survives, as all would.
                tests = [test for test in keep if test in known] or tests[:1]
            submit(self, mutant_name, tests, *args, **kwargs)

        return narrowed

    for runner_class in MutantRunner.__subclasses__():
        runner_class.submit = wrap(runner_class.submit)  # type: ignore[method-assign]
    return argv[2:]


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


def main(argv: list[str]) -> None:
    argv = _narrow_tests(_apply_settings(argv))
    if not argv:
        raise SystemExit(
            "usage: python -m gate.mutmut.entry [--timeout-multiplier X] run|generate|map|preflight"
        )
    command, rest = argv[0], argv[1:]
    if command == "generate":
        _generate(_max_children(rest))
    elif command == "map":
        _map(_max_children(rest))
    elif command == "preflight":
        _preflight(_max_children(rest))
    elif command == "run":
        from mutmut.__main__ import cli

        cli(["run", *rest], prog_name="mutmut")
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
