"""Children die with the gate: every process it starts gets Linux's parent-death signal (SIGKILL).

A `kill -9` of the gate runs none of its cleanup, so the kernel must end its children: each child sets
`PR_SET_PDEATHSIG` itself (in `gate.mutmut.entry`, or through `python -m gate.lifeline CMD...`, which
sets it and execs CMD: the setting survives exec) rather than through a `preexec_fn`, which is unsafe
while the progress bar's thread runs. mutmut's forked workers set it again after each fork (the kernel
clears it in a fork's child). Elsewhere than Linux nothing is set and the process group is the fallback.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Mapping

PARENT_ENV = "GATE_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a child of this process: it names its parent, so the child can tell that the parent
    died before the child asked to die with it."""
    return {**env, PARENT_ENV: str(os.getpid())}


def wrap(args: list[str]) -> list[str]:
    """The command line that runs `args` as a child dying with the gate."""
    return [sys.executable, "-m", "gate.lifeline", *args] if sys.platform.startswith("linux") else args


def die_with_parent(parent: int | None) -> None:
    """Ask for SIGKILL when the parent ends; exit at once when it already has (the race between the
    fork and this call). No-op elsewhere than Linux."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return  # a kernel that refuses it: the process group remains the fallback
    if parent is not None and os.getppid() != parent:
        os._exit(128 + int(signal.SIGKILL))


def parent_from_env(env: Mapping[str, str]) -> int | None:
    value = env.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else None


def follow_forks() -> None:
    """Every process forked from this one from now on dies with its forker too."""
    forker: list[int] = []

    def before() -> None:
        forker[:] = [os.getpid()]

    def after_in_child() -> None:
        die_with_parent(forker[0] if forker else None)

    os.register_at_fork(before=before, after_in_child=after_in_child)


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m gate.lifeline COMMAND [ARG]...")
    die_with_parent(parent_from_env(os.environ))
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
