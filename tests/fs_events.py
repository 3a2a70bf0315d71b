"""Records which names were created and renamed in a directory, through Linux inotify.

Lets a test see a temp file that exists only while a write is in flight, without patching the writer.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_IN_CREATE = 0x100
_IN_MOVED_FROM = 0x40
_IN_MOVED_TO = 0x80
_HEADER = struct.Struct("iIII")

needs_inotify = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux-only")


@dataclass
class DirectoryEvents:
    created: list[str] = field(default_factory=list)
    moved_from: list[str] = field(default_factory=list)
    moved_to: list[str] = field(default_factory=list)


@contextmanager
def watch_directory(directory: Path) -> Iterator[DirectoryEvents]:
    """Collect the events of ``directory`` (not recursive) into the yielded record on exit."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1 failed")
    events = DirectoryEvents()
    try:
        mask = _IN_CREATE | _IN_MOVED_FROM | _IN_MOVED_TO
        if libc.inotify_add_watch(fd, os.fsencode(directory), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch failed for {directory}")
        yield events
        buffer = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            buffer += chunk
        offset = 0
        while offset < len(buffer):
            _, kind, _, length = _HEADER.unpack_from(buffer, offset)
            name = buffer[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0").decode()
            offset += _HEADER.size + length
            if kind & _IN_CREATE:
                events.created.append(name)
            if kind & _IN_MOVED_FROM:
                events.moved_from.append(name)
            if kind & _IN_MOVED_TO:
                events.moved_to.append(name)
    finally:
        os.close(fd)
