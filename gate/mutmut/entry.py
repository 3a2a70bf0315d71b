"""The entry point of every mutmut subprocess the gate starts: applies the gate's settings, then runs
mutmut's own `run` command, only its mutant generation or test mapping, or its preflight checks.

mutmut loads its configuration from the working directory at import, forks and edits sys.path, so it
is only ever imported here, in a child process started with cwd = the project root. `--settings` (any
command) is what the gate hands mutmut from [tool.gate]; the other commands take it the same way.

    python -m gate.mutmut.entry [SETTINGS] run [--max-children N] [NAMES...]
    python -m gate.mutmut.entry [SETTINGS] generate [--max-children N]
    python -m gate.mutmut.entry [SETTINGS] map [--max-children N]
    python -m gate.mutmut.entry [SETTINGS] preflight [--max-children N]
    python -m gate.mutmut.entry count [--max-children N] FILE...

SETTINGS, in any order before the command:
  --settings JSON             the gate's values of mutmut's configuration (GateConfig.mutmut.handed);
  --timeout-multiplier X      mutmut's timeout multiplier;
  --skip-noise KINDS          comma-separated kinds of gate.mutmut.noise, empty for none (without it every
                              kind is skipped);
  --tests-by-mutant FILE      narrows each named mutant's tests to a JSON map {mutant name: [node ids]}
                              (line-level selection, see gate.causes.reach.select_tests);
  --line-reach FILE           narrows each mutant's tests to those that execute its mutated line, from the
                              census the gate names in FILE once it is in (gate.mutmut.line_selection);
  --cold-workers              each mutant starts pytest itself, as mutmut does (without it the suite is
                              collected once and mutants run in forks of it: gate.mutmut.warm).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gate import lifeline

# Every name of mutmut's internals the entry calls, by module. mutmut has no public API for generating,
# mapping or preflighting alone, so these are checked before anything runs: a mutmut release that
# renames one fails in one line naming it, not in a traceback halfway through a run.
REQUIRED: dict[str, tuple[str, ...]] = {
    "mutmut.__main__": (
        "cli",
        "get_mutant_runner",
        "run_forced_fail_test",
        "copy_src_dir",
        "copy_also_copy_files",
        "setup_source_paths",
        "store_lines_covered_by_tests",
        "create_mutants",
        "collect_or_load_stats",
        "MutmutProgrammaticFailException",
        "print_stats",
        "walk_source_files",
    ),
    "mutmut.configuration": ("config",),
    "mutmut.mutation.data": ("SourceFileMutationData",),
    "mutmut.mutation.file_mutation": ("create_mutations",),
    "mutmut.mutation.trampoline": ("set_mutant_under_test",),
    "mutmut.state": ("state",),
    "mutmut.utils.file_utils": ("walk_mutatable_files",),
    "mutmut.workers.isolation": ("get_mutant_runner", "MutantRunner", "MutantResult", "ForkRunner"),
    "mutmut.workers.timeout": ("register_timeout",),
}
# Read by gate.mutmut.process.classify_failure.
UNSUPPORTED = "GATE-UNSUPPORTED-MUTMUT"


def missing_names(
    required: Mapping[str, tuple[str, ...]], load: Callable[[str], object] = importlib.import_module
) -> list[str]:
    """The dotted names in ``required`` that the installed mutmut lacks (a module or an attribute)."""
    missing: list[str] = []
    for module_name, names in required.items():
        try:
            module = load(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        missing += [f"{module_name}.{name}" for name in names if not hasattr(module, name)]
    return missing


def _check_mutmut(modules: Iterable[str] | None = None) -> None:
    """Exit 3 with one line when the installed mutmut lacks a name of ``REQUIRED`` (of ``modules`` only)."""
    missing = missing_names({m: n for m, n in REQUIRED.items() if modules is None or m in modules})
    if missing:
        from importlib.metadata import version

        print(
            f"{UNSUPPORTED} mutmut {version('mutmut')} is not supported by this gate: it has no "
            f"{', '.join(missing)} (supported: mutmut 3.8.x)",
            flush=True,
        )
        raise SystemExit(3)


def _hand_over(settings: dict[str, list[str]]) -> None:
    """Make mutmut load its configuration with the gate's values (GateConfig.mutmut.handed: [tool.gate]
    source_paths, tests, also_copy, do_not_mutate, and `-n 0` under pytest-xdist), before anything reads it.

    mutmut 3.8 reads every key through the function `_config_reader()` returns; wrapping that reader is
    the one way its derived fields (the resolved mutant paths, the default copies) follow, and it keeps
    mutmut from guessing source_paths. The reader is private, so it is feature-detected: without it the
    public Config object is edited after loading instead."""
    import mutmut.configuration as configuration

    reader = getattr(configuration, "_config_reader", None)
    if callable(reader) and callable(getattr(configuration, "reset_config", None)):

        def gate_reader() -> Any:
            read = reader()

            def get(key: str, default: Any) -> Any:
                return list(settings[key]) if key in settings else read(key, default)

            return get

        configuration._config_reader = gate_reader
        configuration.reset_config()
        return
    from pathlib import Path

    loaded = configuration.config()
    if "source_paths" in settings:
        loaded.source_paths = [Path(p) for p in settings["source_paths"]]
        loaded.resolved_mutated_source_paths = [
            Path.cwd().resolve() / "mutants" / p for p in settings["source_paths"]
        ]
    if "pytest_add_cli_args_test_selection" in settings:
        loaded.pytest_add_cli_args_test_selection = list(settings["pytest_add_cli_args_test_selection"])
    if "also_copy" in settings:
        loaded.also_copy = [Path(p) for p in settings["also_copy"]] + loaded.also_copy
    for key in ("do_not_mutate", "pytest_add_cli_args"):
        if key in settings:
            setattr(loaded, key, list(settings[key]))


_OPTIONS = ("--settings", "--timeout-multiplier", "--skip-noise", "--tests-by-mutant", "--line-reach")
_FLAGS = ("--cold-workers",)


@dataclass(frozen=True)
class Options:
    """What the SETTINGS ask of the command, beyond mutmut's configuration."""

    noise_kinds: tuple[str, ...]  # the kinds of gate.mutmut.noise skipped unrun
    tests_by_mutant: str | None = None  # the file of --tests-by-mutant (line-level selection)
    warm: bool = True  # False with --cold-workers
    line_reach: str | None = None  # the ready file of --line-reach (line-level selection from the census)


def _apply_settings(argv: list[str]) -> tuple[list[str], Options]:
    """Apply the SETTINGS before the command; returns the command and its operands, and what the
    settings ask of the command itself. The handed settings go first: they make mutmut reload its
    configuration, which the others then adjust."""
    from gate.mutmut import noise

    options: dict[str, str] = {}
    while argv[:1] and (argv[0] in _FLAGS or (argv[0] in _OPTIONS and len(argv) > 1)):
        if argv[0] in _FLAGS:
            options[argv[0]] = ""
            argv = argv[1:]
            continue
        options[argv[0]] = argv[1]
        argv = argv[2:]
    if "--settings" in options:
        _hand_over(json.loads(options["--settings"]))
    if "--timeout-multiplier" in options:
        from mutmut.configuration import config

        config().timeout_multiplier = float(options["--timeout-multiplier"])
    kinds: tuple[str, ...] = noise.KINDS
    if "--skip-noise" in options:
        kinds = tuple(kind for kind in options["--skip-noise"].split(",") if kind)
    return argv, Options(
        kinds, options.get("--tests-by-mutant"), "--cold-workers" not in options, options.get("--line-reach")
    )


Chooser = Callable[[str, list[str]], list[str] | None]


def _narrowed(
    runner: Any, choose: Chooser, record: Callable[[list[str], list[str]], None] | None = None
) -> Any:
    """Line-level test selection: every mutant gets the tests ``choose`` keeps for it (those that execute
    its mutated line) instead of all the tests mutmut's stats link to its function; None keeps mutmut's
    choice. Hooked where mutmut hands a mutant and its tests to a worker (the runner's ``submit``), ahead
    of the time limit, so the limit is the narrowed tests' and ordering and verdicts stay mutmut's.
    ``record`` sees each mutant's tests before and after."""
    submit = runner.submit

    def narrowed(mutant_name: str, tests: list[str], *args: Any, **kwargs: Any) -> None:
        keep = choose(mutant_name, tests) if tests else None
        kept = tests
        if keep is not None:
            known = set(tests)
            # A line no test runs: one test of the function shows the mutant survives, as all would.
            kept = [test for test in keep if test in known] or tests[:1]
        if record is not None:
            record(tests, kept)
        submit(mutant_name, kept, *args, **kwargs)

    runner.submit = narrowed
    return runner


def _by_map(map_file: str) -> Chooser:
    """--tests-by-mutant: the tests a JSON map names for each mutant."""
    from pathlib import Path

    selected: dict[str, list[str]] = json.loads(Path(map_file).read_text(encoding="utf-8"))
    return lambda name, _tests: selected.get(name)


def _by_reach(runner: Any, ready_file: str) -> Any:
    """--line-reach: the census's line reach, waited for at the first mutant; a line in the log says
    whether it is on, and another at exit how many tests it saved."""
    import atexit
    from pathlib import Path

    from mutmut.utils.file_utils import walk_mutatable_files

    from gate.mutmut.line_selection import LineSelection

    selection: list[LineSelection] = []

    def loaded() -> LineSelection:
        if not selection:
            files = [p.as_posix() for p in walk_mutatable_files()]
            found, line = LineSelection.wait(Path.cwd(), Path(ready_file), files)
            print(f"\n{line}", flush=True)  # mutmut's spinner line has no end yet
            selection.append(found)
            if found.census is not None:
                atexit.register(lambda: print(f"\n{found.summary()}", flush=True))
        return selection[0]

    return _narrowed(
        runner,
        lambda name, tests: loaded().choose(name, tests),
        lambda offered, kept: loaded().count(offered, kept),
    )


def _skip_noise(kinds: tuple[str, ...]) -> None:
    """Mark the mutants that tell nothing as skipped before mutmut tests anything (gate.mutmut.noise):
    `mutmut run` tests only mutants without a verdict, so these never run."""
    from pathlib import Path

    from mutmut.utils.file_utils import walk_mutatable_files

    from gate.mutmut import noise

    noise.mark(Path.cwd(), [p.as_posix() for p in walk_mutatable_files()], kinds)


def _generate_then_skip_noise(create_mutants: Any, kinds: tuple[str, ...]) -> Any:
    """mutmut's `create_mutants` over the largest files first, followed by the noise marking.

    mutmut's pool hands out files one at a time in the order it walks them: a worker that takes the
    largest file last keeps the others waiting for it. Largest first, no worker starts a long file while
    the others are about to finish."""
    import mutmut.__main__ as mm

    def create(max_children: int) -> Any:
        walk = mm.walk_source_files
        mm.walk_source_files = lambda: iter(sorted(walk(), key=_size, reverse=True))
        try:
            stats = create_mutants(max_children)
        finally:
            mm.walk_source_files = walk
        _skip_noise(kinds)
        return stats

    return create


def _size(path: Any) -> int:
    try:
        return int(os.path.getsize(path))
    except OSError:
        return 0


def _max_children(argv: list[str]) -> int:
    if "--max-children" in argv:
        return int(argv[argv.index("--max-children") + 1])
    return os.cpu_count() or 2


def _generate(max_children: int, kinds: tuple[str, ...]) -> None:
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
    stats = _generate_then_skip_noise(mm.create_mutants, kinds)(max_children)
    print(json.dumps({"mutated": stats.mutated, "unmodified": stats.unmodified, "ignored": stats.ignored}))


def _map(max_children: int, kinds: tuple[str, ...]) -> None:
    """Record which tests reach which function for the tests mutmut's stats do not know (forgotten by
    the gate after an edit), without testing any mutant."""
    import mutmut.__main__ as mm
    from mutmut.workers.isolation import get_mutant_runner

    _generate(max_children, kinds)
    mm.collect_or_load_stats(get_mutant_runner(max_children))


def _preflight(max_children: int, kinds: tuple[str, ...]) -> None:
    """What `mutmut run` checks before testing mutants: stats, the clean run and the forced-fail run.
    Prints one JSON line with the outcome of each."""
    import mutmut.__main__ as mm
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.state import state
    from mutmut.workers.isolation import get_mutant_runner

    _generate(max_children, kinds)
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


def _count(files: list[str]) -> None:
    """How many mutants mutmut would generate in each file, without writing anything (doctor's estimate).
    Only the mutations are listed, not compiled into trampolines (10x faster on a large file); those at
    module level or in a function or class mutmut's pragmas skip are left out, as mutmut leaves them out
    (on this repository's 19 files: 5,150, the count of a run). Prints one JSON line: {file: count}."""
    import libcst as cst
    from mutmut.mutation.file_mutation import create_mutations

    counts: dict[str, int] = {}
    for file in files:
        with open(file, encoding="utf-8") as handle:
            _module, mutations, skipped_classes, skipped_functions = create_mutations(file, handle.read())
        skipped = skipped_classes | skipped_functions
        counts[file] = sum(
            1
            for mutation in mutations
            if isinstance(
                container := mutation.contained_by_top_level_function, cst.FunctionDef | cst.ClassDef
            )
            and container.name.value not in skipped
        )
    print("GATE-COUNT " + json.dumps(counts))  # read by gate.mutmut.preflight


def _limit_by_baseline(runner: Any) -> Any:
    """Make `runner` give each mutant the limit of `limits.baseline_limit` over the tests it is submitted with
    (whatever selected them), not over every test of its function as mutmut does. The constant is
    mutmut's floor, timeout_constant x multiplier: 1 s was measured to turn survivors into timeouts on a
    loaded machine, where a worker's pytest start-up alone can take longer. mutmut derives the wall limit inside `submit` as (estimate + constant) x
    multiplier and the CPU limit is twice the wall limit in both runners, so the estimate passed on is
    the one that yields exactly our limit."""
    from mutmut.configuration import config
    from mutmut.state import state

    from gate.mutmut.limits import baseline_limit

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
    (gate.mutmut.fixed_costs); record them when they pass, and count a passing stats run as the clean
    run of its tests. The key is taken before mutmut generates anything, from the project's files as
    they are."""
    from pathlib import Path

    import mutmut
    import mutmut.__main__ as mm

    from gate.mutmut.fixed_costs import ALL_TESTS, FixedCosts, content_key

    root = Path.cwd()
    record = FixedCosts.load(root, content_key(root, f"mutmut {mutmut.__version__}"))
    run_clean, run_forced_fail = runner.run_clean_tests, mm.run_forced_fail_test
    collect = runner.collect_stats

    def stats(tests: list[str] | None) -> int:
        code: int = collect(tests)
        if code == 0:
            # A passing stats run is a clean run of the same tests (with `-x`, the same arguments): its
            # trampolines call the original functions and only record who called them.
            record.clean |= set(tests) if tests else {ALL_TESTS}
            record.save(root)
        return code

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

    runner.collect_stats = stats
    runner.run_clean_tests = clean
    mm.run_forced_fail_test = forced_fail  # type: ignore[assignment]
    return runner


def _run(rest: list[str], options: Options) -> None:
    """`mutmut run` with the gate's hooks on the runner it creates: warm workers (unless
    --cold-workers), the baseline time limit, line-level narrowing ahead of it, fixed costs paid once,
    bookkeeping at a bounded cost."""
    from pathlib import Path

    import mutmut.__main__ as mm
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.workers.isolation import ForkRunner

    from gate.mutmut.bookkeeping import bounded, throttled_summary

    mm.create_mutants = _generate_then_skip_noise(mm.create_mutants, options.noise_kinds)
    mm.print_stats = throttled_summary(mm.print_stats)
    make_runner = mm.get_mutant_runner

    def runner(*args: Any, **kwargs: Any) -> Any:
        made = make_runner(*args, **kwargs)
        if options.warm and isinstance(made, ForkRunner):  # mutmut's forkserver isolation is left as it is
            from gate.mutmut.warm import WarmRunner

            made = WarmRunner(made, made.max_workers, Path.cwd())
        made = _limit_by_baseline(made)
        if options.tests_by_mutant is not None:
            made = _narrowed(made, _by_map(options.tests_by_mutant))
        elif options.line_reach is not None:
            made = _by_reach(made, options.line_reach)
        return bounded(_fixed_costs_once(made), SourceFileMutationData)

    mm.get_mutant_runner = runner
    mm.cli(["run", *rest], prog_name="mutmut")


def main(argv: list[str]) -> None:
    # mutmut.__main__ loads mutmut's configuration at import: the gate's settings are handed over first,
    # with only the configuration module checked, and the other names after.
    _check_mutmut(["mutmut.configuration"])
    # The gate stops mutmut with SIGINT, as Ctrl-C would: a gate started in the background by a shell
    # without job control hands on an ignored SIGINT, which would leave mutmut testing until killed.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Dies with the gate, and mutmut's forked workers with it: none outlives a `kill -9` of the gate.
    lifeline.die_with_parent(lifeline.parent_from_env(os.environ))
    lifeline.follow_forks()
    argv, options = _apply_settings(argv)
    _check_mutmut()
    if not argv:
        raise SystemExit("usage: python -m gate.mutmut.entry [SETTINGS] run|generate|map|preflight|count")
    command, rest = argv[0], argv[1:]
    if command == "generate":
        _generate(_max_children(rest), options.noise_kinds)
    elif command == "map":
        _map(_max_children(rest), options.noise_kinds)
    elif command == "preflight":
        _preflight(_max_children(rest), options.noise_kinds)
    elif command == "count":
        _count(rest[2:] if rest[:1] == ["--max-children"] else rest)
    elif command == "run":
        _run(rest, options)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
