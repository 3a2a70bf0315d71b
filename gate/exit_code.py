"""Exit codes of every gate command, in one table.

CI scripts branch on these numbers; they never change meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """| code | meaning |
    | 0 | the gate passed |
    | 1 | the gate failed: a score under its floor, or survivors the policy forbids |
    | 2 | usage or configuration error (one clear line, no traceback) |
    | 3 | the run could not be judged: clean suite failing, mutmut failing, a shard missing |
    """

    PASSED = 0
    FAILED = 1
    USAGE = 2
    NOT_JUDGED = 3


class GateError(Exception):
    """An error the user can act on: printed as one line, mapped to an exit code."""

    exit_code: ExitCode = ExitCode.NOT_JUDGED

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (exit 130) or SIGTERM (a CI timeout, `kill`: exit 143, 128 + 15): the run stops cleanly and
    keeps its verdicts. ``partial`` carries what the run had reached, for the report it still writes."""

    def __init__(self, exit_code: int = 130, partial: object = None) -> None:
        super().__init__()
        self.exit_code = exit_code
        self.partial = partial


# SIGTERM's exit code, by the shell's convention (128 + the signal's number).
TERMINATED = 143


class ConfigError(GateError):
    """Bad configuration or usage: exit 2."""

    exit_code = ExitCode.USAGE


class RunError(GateError):
    """The run could not be judged: exit 3."""

    exit_code = ExitCode.NOT_JUDGED
