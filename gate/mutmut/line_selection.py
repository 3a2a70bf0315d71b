"""Line-level test selection in a run: the census runs beside mutmut's generation and stats, and each mutant
is then run with only the tests that execute its mutated line.

mutmut links a test to a function when the test calls it, so every mutant of a long function runs every
test that enters it, though most of them never reach the mutated line: the survivors, the timeouts and the
mutants killed late pay for all of them. The census (gate.causes.census) records the lines each test
executes; `gate.causes.reach` turns them into the tests that reach one line.

Two halves, one protocol:
- the gate (`CensusAhead`) starts the census in a thread when mutmut starts (its pytest is a subprocess that
  dies with the gate; generation runs no test, so they share the machine's idle core) and, when it ends
  either way, writes `.gate/line-reach.json`;
- mutmut's process (`LineSelection`, through the entry's `--line-reach FILE`) waits for that file before
  its first mutant, then narrows each mutant's tests. A census that could not run narrows nothing: every
  mutant keeps its function's tests, as mutmut gives them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gate.atomic import write_text_atomic
from gate.causes import census
from gate.causes.reach import Reach
from gate.mutmut.names import module_name, module_of, qualname_of
from gate.mutmut.results import mutant_lines
from gate.mutmut.state import read_meta

if TYPE_CHECKING:
    from gate.config import GateConfig

READY = Path(".gate") / "line-reach.json"
WAIT_POLL = 0.1  # seconds between two looks for the ready file


class CensusAhead:
    """The census of a run, started before mutmut tests anything (the gate's half)."""

    def __init__(self, config: GateConfig, collect: Callable[[], object] | None = None) -> None:
        self.ready = config.root / READY
        self.ready.unlink(missing_ok=True)
        self._collect = collect or (lambda: _collect(config))
        self._started = time.monotonic()
        # A daemon: an interrupted gate does not wait for it, and its pytest dies with the gate (lifeline).
        self._thread = threading.Thread(target=self._run, name="census-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._collect()
            payload: dict[str, object] = {"census": str(census.CACHE)}
        except Exception as error:  # any failure: no narrowing; the causes stage reports it if it needs it
            payload = {"census": None, "why": str(error) or type(error).__name__}
        payload["seconds"] = round(time.monotonic() - self._started, 1)
        write_text_atomic(self.ready, json.dumps(payload) + "\n")

    def entry_args(self) -> list[str]:
        return ["--line-reach", str(self.ready)]

    def join(self) -> None:
        self._thread.join()


def _collect(config: GateConfig) -> object:
    from gate.config import census_selection, serial_pytest_args

    return census.load_or_collect(
        config.root,
        census_selection(config),
        list(config.mutmut.source_paths),
        log_path=config.root / ".gate" / "census.log",
        extra_args=serial_pytest_args(),
    )


class LineSelection:
    """Each mutant's tests narrowed to those that execute its mutated line (mutmut's half)."""

    def __init__(self, root: Path, found: census.Census | None, files: Iterable[str] = ()) -> None:
        self.root = root
        self.census = found
        self._files = {module_name(path): path for path in files}  # mutmut's module part -> source file
        self._reach: dict[str, Reach] = {}
        self._lines: dict[str, dict[str, int]] = {}
        self.before = self.after = self.narrowed = self.mutants = 0  # tests offered and kept; mutants

    @classmethod
    def wait(
        cls, root: Path, ready: Path, files: Iterable[str], sleep: Callable[[float], None] = time.sleep
    ) -> tuple[LineSelection, str]:
        """Wait for the gate's ready file, then load the census it names, for the mutants of ``files``
        (the mutated sources); with a line for the log."""
        while not ready.is_file():
            sleep(WAIT_POLL)
        try:
            payload = json.loads(ready.read_text(encoding="utf-8"))
            name = payload.get("census")
            data = json.loads((root / name).read_text(encoding="utf-8")) if name else None
            found = census.Census.from_json(data) if data is not None else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            return cls(root, None), f"line-level selection off (the census cannot be read: {error})"
        if found is None:
            return cls(
                root, None
            ), f"line-level selection off (the census could not run: {payload.get('why')})"
        return cls(
            root, found, files
        ), f"line-level selection: the census was in after {payload.get('seconds')} s"

    def choose(self, mutant_name: str, tests: list[str]) -> list[str] | None:
        """The tests of ``tests`` that execute the mutant's line, in their order (none when no test
        does); None when its reach is not known (it keeps every test)."""
        file = self._files.get(module_of(mutant_name))
        if self.census is None or not tests or file is None:
            return None
        if file not in self._reach:
            self._reach[file] = Reach.load(self.census, self.root, [file])
            meta = read_meta(self.root, file)
            self._lines[file] = mutant_lines(
                self.root, file, meta.exit_code_by_key if meta else [mutant_name]
            )
        line = self._lines[file].get(mutant_name)
        if line is None:
            return None
        found = self._reach[file].at(file, qualname_of(mutant_name), line, tests)
        return found.runners if found is not None else None

    def count(self, offered: list[str], kept: list[str]) -> None:
        """One mutant handed to mutmut's runner: the tests its function offered, the tests it kept."""
        before = len(offered)
        self.mutants += 1
        self.before += before
        self.after += len(kept)
        self.narrowed += len(kept) < before

    def summary(self) -> str:
        return (
            f"line-level selection: {self.narrowed} of {self.mutants} mutants narrowed, {self.after} tests "
            f"selected of the {self.before} their functions' stats link them to"
        )
