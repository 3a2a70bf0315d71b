"""Cache paths: moving a legacy cache file to its canonical place without ever losing it."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from py.utils.cache_paths import CachePaths, CacheType, resolve_cache_path_with_migration

PAYLOAD = bytes(range(256)) * 64  # binary, every byte value


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="py.utils.cache_paths")
    return caplog


def _messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "py.utils.cache_paths"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_per_library_legacy_file_is_preferred_and_moved_byte_for_byte(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    library_file = _write(tmp_path / "model_cache" / "default.sqlite", PAYLOAD)
    root_file = _write(tmp_path / "model_cache.sqlite", b"older root-level cache")
    result = resolve_cache_path_with_migration(CacheType.MODEL, settings_dir=tmp_path)
    assert result == os.path.join(tmp_path, "cache", "model", "default.sqlite")
    assert _messages(logs) == [("INFO", f"Migrated cache {library_file} to {result}")]
    assert Path(result).read_bytes() == PAYLOAD
    assert not library_file.exists()
    # The emptied legacy directory goes; the root-level file was not needed and stays.
    assert not (tmp_path / "model_cache").exists()
    assert root_file.read_bytes() == b"older root-level cache"


def test_root_level_file_migrates_for_the_default_library(tmp_path: Path) -> None:
    legacy = _write(tmp_path / "recipe_cache.sqlite", PAYLOAD)
    result = resolve_cache_path_with_migration(CacheType.RECIPE, "default", settings_dir=tmp_path)
    assert Path(result).read_bytes() == PAYLOAD
    assert not legacy.exists()


def test_root_level_file_is_not_used_by_a_named_library(tmp_path: Path) -> None:
    legacy = _write(tmp_path / "model_cache.sqlite", PAYLOAD)
    result = resolve_cache_path_with_migration(CacheType.MODEL, "other", settings_dir=tmp_path)
    assert result == os.path.join(tmp_path, "cache", "model", "other.sqlite")
    assert not os.path.exists(result)
    assert legacy.read_bytes() == PAYLOAD


def test_legacy_directory_with_other_libraries_is_kept(tmp_path: Path) -> None:
    _write(tmp_path / "model_cache" / "a.sqlite", b"a")
    other = _write(tmp_path / "model_cache" / "b.sqlite", b"b")
    resolve_cache_path_with_migration(CacheType.MODEL, "a", settings_dir=tmp_path)
    assert _tree(tmp_path / "model_cache") == {"b.sqlite": b"b"}
    assert other.read_bytes() == b"b"


@pytest.mark.parametrize(
    ("cache_type", "legacy", "canonical"),
    [
        (CacheType.RECIPE_FTS, ("recipe_fts.sqlite",), ("cache", "fts", "recipe_fts.sqlite")),
        (CacheType.TAG_FTS, ("tag_fts.sqlite",), ("cache", "fts", "tag_fts.sqlite")),
        (CacheType.SYMLINK, ("cache", "symlink_map.json"), ("cache", "symlink", "symlink_map.json")),
    ],
)
def test_shared_caches_migrate(
    tmp_path: Path, cache_type: CacheType, legacy: tuple[str, ...], canonical: tuple[str, ...]
) -> None:
    _write(tmp_path.joinpath(*legacy), PAYLOAD)
    assert resolve_cache_path_with_migration(cache_type, settings_dir=tmp_path) == str(
        tmp_path.joinpath(*canonical)
    )
    assert _tree(tmp_path) == {os.path.join(*canonical): PAYLOAD}


def test_migration_is_idempotent(tmp_path: Path) -> None:
    _write(tmp_path / "model_cache" / "default.sqlite", PAYLOAD)
    first = resolve_cache_path_with_migration(CacheType.MODEL, settings_dir=tmp_path)
    before = _tree(tmp_path)
    stat = os.stat(first)
    second = resolve_cache_path_with_migration(CacheType.MODEL, settings_dir=tmp_path)
    assert second == first
    assert _tree(tmp_path) == before
    assert os.stat(first).st_mtime_ns == stat.st_mtime_ns


def test_migration_keeps_the_legacy_mtime(tmp_path: Path) -> None:
    legacy = _write(tmp_path / "tag_fts.sqlite", PAYLOAD)
    os.utime(legacy, ns=(1_000_000_000, 1_000_000_000))
    result = resolve_cache_path_with_migration(CacheType.TAG_FTS, settings_dir=tmp_path)
    assert os.stat(result).st_mtime_ns == 1_000_000_000


def test_copy_goes_through_a_hidden_temporary_beside_the_target(tmp_path: Path) -> None:
    _write(tmp_path / "model_cache" / "lib.sqlite", PAYLOAD)
    targets: list[str] = []

    def recording_copy(source: str, target: str) -> None:
        targets.append(target)
        shutil.copy2(source, target)

    result = CachePaths(tmp_path, copy_file=recording_copy).resolve_with_migration(CacheType.MODEL, "lib")
    assert len(targets) == 1
    # Same directory, so the final rename is atomic; hidden, so nothing takes it for a cache.
    assert os.path.dirname(targets[0]) == os.path.dirname(result)
    assert os.path.basename(targets[0]).startswith(".lib.sqlite.")
    assert not os.path.exists(targets[0])
    assert Path(result).read_bytes() == PAYLOAD


def test_failed_copy_keeps_the_legacy_file_and_tries_the_next_one(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    library_file = _write(tmp_path / "model_cache" / "default.sqlite", b"per-library")
    root_file = _write(tmp_path / "model_cache.sqlite", b"root-level")
    calls: list[str] = []

    def copy_failing_for_library_file(source: str, target: str) -> None:
        calls.append(source)
        if source == str(library_file):
            raise OSError(28, "No space left on device")
        shutil.copy2(source, target)

    paths = CachePaths(tmp_path, copy_file=copy_failing_for_library_file)
    result = paths.resolve_with_migration(CacheType.MODEL)
    assert calls == [str(library_file), str(root_file)]
    assert Path(result).read_bytes() == b"root-level"
    assert library_file.read_bytes() == b"per-library"
    assert not root_file.exists()
    assert sorted(os.listdir(tmp_path / "cache" / "model")) == ["default.sqlite"]
    assert _messages(logs) == [
        (
            "WARNING",
            f"Could not migrate cache {library_file} to {result}: [Errno 28] No space left on device",
        ),
        ("INFO", f"Migrated cache {root_file} to {result}"),
    ]


def test_every_copy_failing_leaves_everything_as_it_was(tmp_path: Path) -> None:
    _write(tmp_path / "model_cache" / "default.sqlite", b"per-library")
    _write(tmp_path / "model_cache.sqlite", b"root-level")

    def broken_copy(source: str, target: str) -> None:
        with open(target, "wb") as handle:
            handle.write(b"partial")
        raise OSError(5, "Input/output error")

    result = CachePaths(tmp_path, copy_file=broken_copy).resolve_with_migration(CacheType.MODEL)
    assert result == os.path.join(tmp_path, "cache", "model", "default.sqlite")
    assert _tree(tmp_path) == {
        os.path.join("model_cache", "default.sqlite"): b"per-library",
        "model_cache.sqlite": b"root-level",
    }


def test_a_copy_that_differs_is_discarded_and_the_legacy_kept(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    legacy = _write(tmp_path / "recipe_fts.sqlite", PAYLOAD)

    def corrupting_copy(source: str, target: str) -> None:
        data = bytearray(Path(source).read_bytes())
        data[-1] ^= 0xFF
        Path(target).write_bytes(bytes(data))
        # Same size and times as the original: only the bytes tell them apart.
        shutil.copystat(source, target)

    result = CachePaths(tmp_path, copy_file=corrupting_copy).resolve_with_migration(CacheType.RECIPE_FTS)
    assert not os.path.exists(result)
    assert legacy.read_bytes() == PAYLOAD
    assert _tree(tmp_path) == {"recipe_fts.sqlite": PAYLOAD}
    assert _messages(logs) == [
        (
            "WARNING",
            f"Could not migrate cache {legacy} to {result}: copy of {legacy} differs from the original",
        )
    ]


def test_a_legacy_file_that_cannot_be_removed_is_left_in_place(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    legacy = _write(tmp_path / "model_cache" / "default.sqlite", PAYLOAD)

    def busy(path: str) -> None:
        raise PermissionError(13, "Permission denied", path)

    result = CachePaths(tmp_path, remove_file=busy).resolve_with_migration(CacheType.MODEL)
    assert Path(result).read_bytes() == PAYLOAD
    assert legacy.read_bytes() == PAYLOAD
    # Its directory is not empty, so it stays too.
    assert (tmp_path / "model_cache").is_dir()
    assert _messages(logs) == [
        ("INFO", f"Migrated cache {legacy} to {result}"),
        (
            "WARNING",
            f"Could not remove migrated legacy cache {legacy}: [Errno 13] Permission denied: '{legacy}'",
        ),
    ]


def _crash_snapshot(legacy: Path, rows: int) -> dict[str, bytes]:
    """Files of a WAL database whose last rows are only in its -wal, as left by a crash."""
    scratch = legacy.parent / "scratch" / "db.sqlite"
    scratch.parent.mkdir(parents=True)
    conn = sqlite3.connect(scratch, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(rows)])
    files = {suffix: Path(f"{scratch}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")}
    conn.close()
    shutil.rmtree(scratch.parent)
    for suffix, data in files.items():
        _write(Path(f"{legacy}{suffix}"), data)
    return files


def test_wal_and_shm_move_with_the_database(tmp_path: Path) -> None:
    legacy = tmp_path / "model_cache" / "default.sqlite"
    files = _crash_snapshot(legacy, 100)
    result = resolve_cache_path_with_migration(CacheType.MODEL, settings_dir=tmp_path)
    assert {suffix: Path(f"{result}{suffix}").read_bytes() for suffix in files} == files
    assert not (tmp_path / "model_cache").exists()
    conn = sqlite3.connect(result)
    try:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 100
    finally:
        conn.close()


def test_failed_main_copy_removes_the_copied_companions(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    legacy = tmp_path / "model_cache" / "default.sqlite"
    files = _crash_snapshot(legacy, 3)

    def fail_on_main_file(source: str, target: str) -> None:
        if source == str(legacy):
            raise OSError(28, "No space left on device")
        shutil.copy2(source, target)

    result = CachePaths(tmp_path, copy_file=fail_on_main_file).resolve_with_migration(CacheType.MODEL)
    assert os.listdir(os.path.dirname(result)) == []
    assert {suffix: Path(f"{legacy}{suffix}").read_bytes() for suffix in files} == files
    assert _messages(logs) == [
        ("WARNING", f"Could not migrate cache {legacy} to {result}: [Errno 28] No space left on device")
    ]


def test_a_companion_that_cannot_be_removed_is_logged_and_kept(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    legacy = tmp_path / "recipe_cache.sqlite"
    _write(legacy, b"main")
    _write(Path(f"{legacy}-wal"), b"wal")
    _write(Path(f"{legacy}-shm"), b"shm")

    def remove(path: str) -> None:
        if path.endswith("-wal"):
            raise PermissionError(13, "Permission denied", path)
        os.remove(path)

    result = CachePaths(tmp_path, remove_file=remove).resolve_with_migration(CacheType.RECIPE)
    assert [Path(f"{result}{s}").read_bytes() for s in ("", "-wal", "-shm")] == [b"main", b"wal", b"shm"]
    assert not legacy.exists()
    assert not Path(f"{legacy}-shm").exists()
    assert Path(f"{legacy}-wal").read_bytes() == b"wal"
    assert _messages(logs) == [
        ("INFO", f"Migrated cache {legacy} to {result}"),
        (
            "WARNING",
            f"Could not remove migrated legacy cache {legacy}-wal: [Errno 13] Permission denied: '{legacy}-wal'",
        ),
    ]
