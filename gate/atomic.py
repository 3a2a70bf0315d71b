"""Atomic file writes for everything the gate produces.

A crash or a full disk leaves the previous file intact, never a half-written one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gate.exit_code import ExitCode, GateError


class StateError(GateError):
    """A file the gate must write cannot be written (read-only tree, full disk): exit 2, or 3 mid-run."""

    exit_code = ExitCode.USAGE


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temp file in the same directory, fsync, rename.

    The file gets the mode the umask gives a new file (mkstemp's 0600 would hide reports from the
    team); an OSError becomes a StateError naming the path."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise StateError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException as error:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise StateError(f"cannot write {target}: {error.strerror or error}") from None
        raise
    return target


def current_umask() -> int:
    """The process's umask (reading it means setting it: it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
