"""write_text_atomic: the new text or the old file, never a half-written one and never a stray temp file.

All on real files in tmp_path.
"""

from __future__ import annotations

import locale
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

from gate.atomic import StateError, write_text_atomic
from tests.fs_events import needs_inotify, watch_directory

OLD = b"previous report\n"


def test_writes_the_text_exactly_and_returns_the_target(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    assert write_text_atomic(str(target), "a\r\nb\n\u00e9") == target
    assert target.read_bytes() == b"a\r\nb\n\xc3\xa9"
    assert os.listdir(tmp_path) == ["report.md"]


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_bytes(OLD * 50)
    write_text_atomic(target, "new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["report.md"]


def test_creates_missing_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    write_text_atomic(target, "{}")
    assert target.read_bytes() == b"{}"
    assert os.listdir(target.parent) == ["report.json"]


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    # A lone surrogate cannot be encoded, so the write fails inside the temp file.
    target = tmp_path / "report.md"
    target.write_bytes(OLD)
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "half \ud800 written")
    assert target.read_bytes() == OLD
    assert os.listdir(tmp_path) == ["report.md"]


def test_failed_rename_leaves_the_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.mkdir()
    (target / "kept").write_bytes(OLD)
    with pytest.raises(StateError, match=r"report.md: Is a directory"):
        write_text_atomic(target, "new")
    assert os.listdir(tmp_path) == ["report.md"]
    assert os.listdir(target) == ["kept"]
    assert (target / "kept").read_bytes() == OLD


def test_temp_file_is_created_beside_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rename is atomic only within one filesystem, so the system temp dir must not be used.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-system-temp"))
    target = tmp_path / "out" / "report.md"
    write_text_atomic(target, "x")
    assert target.read_bytes() == b"x"


@needs_inotify
def test_stages_in_a_hidden_temp_file_named_after_the_target(tmp_path: Path) -> None:
    with watch_directory(tmp_path) as events:
        write_text_atomic(tmp_path / "report.md", "x")
    assert len(events.created) == 1
    assert re.fullmatch(r"\.report\.md\.[a-z0-9_]{8}\.tmp", events.created[0])
    assert events.moved_from == events.created
    assert events.moved_to == ["report.md"]


def test_writes_utf8_whatever_the_locale(tmp_path: Path) -> None:
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        write_text_atomic(tmp_path / "report.md", "caf\u00e9")
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    assert (tmp_path / "report.md").read_bytes() == b"caf\xc3\xa9"


def test_interrupted_right_after_the_rename_keeps_the_new_file(tmp_path: Path) -> None:
    # A Ctrl-C between the rename and the return reaches the caller as itself, not as a failed clean-up.
    target = tmp_path / "report.md"
    target.write_bytes(OLD)

    def interrupt_when_replace_returns(frame: object, event: str, arg: object) -> None:
        if event == "c_return" and arg is os.replace:
            sys.setprofile(None)
            raise KeyboardInterrupt

    sys.setprofile(interrupt_when_replace_returns)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_text_atomic(target, "new")
    finally:
        sys.setprofile(None)
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["report.md"]
