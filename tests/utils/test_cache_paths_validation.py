"""Cache paths: where legacy files were, in priority order, and cleanup of migrated ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from py.utils.cache_paths import (
    CachePaths,
    CacheType,
    cleanup_legacy_cache_files,
    get_legacy_cache_files_for_cleanup,
    get_legacy_cache_paths,
)


def _p(root: Path, *parts: str) -> str:
    return os.path.join(root, *parts)


@pytest.mark.parametrize(
    ("cache_type", "library", "expected"),
    [
        (CacheType.MODEL, None, [("model_cache", "default.sqlite"), ("model_cache.sqlite",)]),
        (CacheType.MODEL, "default", [("model_cache", "default.sqlite"), ("model_cache.sqlite",)]),
        (CacheType.MODEL, "Other Lib", [("model_cache", "Other_Lib.sqlite")]),
        (CacheType.RECIPE, "", [("recipe_cache", "default.sqlite"), ("recipe_cache.sqlite",)]),
        (CacheType.RECIPE, "x", [("recipe_cache", "x.sqlite")]),
        (CacheType.RECIPE_FTS, "x", [("recipe_fts.sqlite",)]),
        (CacheType.TAG_FTS, None, [("tag_fts.sqlite",)]),
        (CacheType.SYMLINK, None, [("cache", "symlink_map.json")]),
        (CacheType.MODEL_UPDATE, None, []),
    ],
)
def test_legacy_paths_in_priority_order(
    tmp_path: Path, cache_type: CacheType, library: str | None, expected: list[tuple[str, ...]]
) -> None:
    assert get_legacy_cache_paths(cache_type, library, settings_dir=tmp_path) == [
        _p(tmp_path, *e) for e in expected
    ]
    assert list(tmp_path.iterdir()) == []


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def test_cleanup_lists_only_legacy_files_with_an_identical_canonical_copy(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path)
    migrated = {
        # The default library's root-level file is found even when the per-library folder lists
        # only other libraries.
        _p(tmp_path, "model_cache.sqlite"): paths.file_path(CacheType.MODEL),
        _p(tmp_path, "model_cache", "lib2.sqlite"): paths.file_path(CacheType.MODEL, "lib2"),
        _p(tmp_path, "recipe_cache", "default.sqlite"): paths.file_path(CacheType.RECIPE),
        _p(tmp_path, "tag_fts.sqlite"): paths.file_path(CacheType.TAG_FTS),
        _p(tmp_path, "cache", "symlink_map.json"): paths.file_path(CacheType.SYMLINK),
    }
    for legacy, canonical in migrated.items():
        _write(legacy, b"same " + legacy.encode())
        _write(canonical, b"same " + legacy.encode())
    # Not migrated: no canonical copy, or a canonical copy with other bytes.
    _write(_p(tmp_path, "model_cache", "lonely.sqlite"), b"x")
    _write(_p(tmp_path, "recipe_fts.sqlite"), b"old")
    _write(paths.file_path(CacheType.RECIPE_FTS), b"new")
    _write(_p(tmp_path, "model_cache", "notes.txt"), b"not a cache")
    listed = get_legacy_cache_files_for_cleanup(settings_dir=tmp_path)
    assert sorted(listed) == sorted(migrated)
    assert len(listed) == len(set(listed))


def test_cleanup_dry_run_removes_nothing(tmp_path: Path) -> None:
    legacy = _p(tmp_path, "tag_fts.sqlite")
    _write(legacy, b"t")
    _write(CachePaths(tmp_path).file_path(CacheType.TAG_FTS), b"t")
    assert cleanup_legacy_cache_files(settings_dir=tmp_path) == [legacy]
    assert CachePaths(tmp_path).cleanup_legacy_files() == [legacy]
    assert os.path.isfile(legacy)


def test_same_size_and_time_with_other_bytes_is_not_migrated(tmp_path: Path) -> None:
    legacy = _p(tmp_path, "tag_fts.sqlite")
    canonical = CachePaths(tmp_path).file_path(CacheType.TAG_FTS)
    _write(legacy, b"abc")
    _write(canonical, b"abd")
    for path in (legacy, canonical):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert get_legacy_cache_files_for_cleanup(settings_dir=tmp_path) == []


def test_cleanup_removes_migrated_files_only(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path)
    legacy = _p(tmp_path, "model_cache.sqlite")
    canonical = paths.file_path(CacheType.MODEL)
    _write(legacy, b"m")
    _write(canonical, b"m")
    keep = _p(tmp_path, "recipe_cache.sqlite")
    _write(keep, b"r")
    assert cleanup_legacy_cache_files(dry_run=False, settings_dir=tmp_path) == [legacy]
    assert not os.path.exists(legacy)
    assert Path(canonical).read_bytes() == b"m"
    assert Path(keep).read_bytes() == b"r"
    assert paths.cleanup_legacy_files(dry_run=False) == []


def test_cleanup_with_no_settings_dir_finds_nothing(tmp_path: Path) -> None:
    assert CachePaths(tmp_path / "missing").legacy_files_for_cleanup() == []
    assert not (tmp_path / "missing").exists()


def test_cleanup_ignores_directories_named_like_caches(tmp_path: Path) -> None:
    # A legacy name that is a directory (with an identical "canonical" directory) cannot be
    # listed: only regular files are candidates, so nothing outside caches is ever removed.
    os.makedirs(_p(tmp_path, "tag_fts.sqlite"))
    os.makedirs(CachePaths(tmp_path).file_path(CacheType.TAG_FTS))
    assert cleanup_legacy_cache_files(dry_run=False, settings_dir=tmp_path) == []
    assert os.path.isdir(_p(tmp_path, "tag_fts.sqlite"))


def test_cleanup_reports_only_the_files_it_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Listed first, fails; the one after it is still removed.
    stuck = _p(tmp_path, "recipe_fts.sqlite")
    gone = _p(tmp_path, "tag_fts.sqlite")
    paths = CachePaths(tmp_path)
    for legacy, cache_type in ((stuck, CacheType.RECIPE_FTS), (gone, CacheType.TAG_FTS)):
        _write(legacy, b"x")
        _write(paths.file_path(cache_type), b"x")

    def remove(path: str) -> None:
        if path == stuck:
            raise PermissionError(13, "Permission denied", path)
        os.remove(path)

    assert CachePaths(tmp_path, remove_file=remove).cleanup_legacy_files(dry_run=False) == [gone]
    assert os.path.isfile(stuck)
    assert not os.path.exists(gone)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Could not remove legacy cache {stuck}: [Errno 13] Permission denied: '{stuck}'")
    ]
