"""Cache paths: the canonical layout under the settings directory, and library-name sanitising."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from py.utils import cache_paths
from py.utils.cache_paths import (
    APP_DIR_NAME,
    CachePaths,
    CacheType,
    default_settings_dir,
    get_cache_base_dir,
    get_cache_file_path,
    resolve_cache_path_with_migration,
    sanitize_library_name,
)

CANONICAL = {
    CacheType.MODEL: "cache/model/{lib}.sqlite",
    CacheType.MODEL_UPDATE: "cache/model_update/{lib}.sqlite",
    CacheType.RECIPE: "cache/recipe/{lib}.sqlite",
    CacheType.RECIPE_FTS: "cache/fts/recipe_fts.sqlite",
    CacheType.TAG_FTS: "cache/fts/tag_fts.sqlite",
    CacheType.SYMLINK: "cache/symlink/symlink_map.json",
}


def test_cache_types_and_values() -> None:
    assert [t.value for t in CacheType] == [
        "model",
        "model_update",
        "recipe",
        "recipe_fts",
        "tag_fts",
        "symlink",
    ]


@pytest.mark.parametrize("cache_type", list(CacheType))
@pytest.mark.parametrize("library", [None, "", "default", "Team Lib/2"])
def test_canonical_layout(tmp_path: Path, cache_type: CacheType, library: str | None) -> None:
    path = CachePaths(tmp_path).file_path(cache_type, library)
    expected = CANONICAL[cache_type].format(lib=sanitize_library_name(library))
    assert path == os.path.join(tmp_path, *expected.split("/"))
    assert os.path.isdir(os.path.dirname(path))
    assert not os.path.exists(path)


def test_file_path_without_create_dir_creates_nothing(tmp_path: Path) -> None:
    path = CachePaths(tmp_path / "s").file_path(CacheType.RECIPE, "x", create_dir=False)
    assert path == os.path.join(tmp_path, "s", "cache", "recipe", "x.sqlite")
    assert not (tmp_path / "s").exists()


def test_base_dir_is_created_only_on_request(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path / "s")
    assert paths.base_dir(create=False) == os.path.join(tmp_path, "s", "cache")
    assert not (tmp_path / "s").exists()
    assert paths.base_dir() == os.path.join(tmp_path, "s", "cache")
    assert (tmp_path / "s" / "cache").is_dir()
    # Asking again when it exists is fine.
    assert paths.base_dir() == os.path.join(tmp_path, "s", "cache")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "default"),
        ("", "default"),
        ("My Library", "My_Library"),
        ("../etc/passwd", ".._etc_passwd"),
        ("a-b_c.d9", "a-b_c.d9"),
        ("ünï", "_n_"),
        ("a\\b:c", "a_b_c"),
    ],
)
def test_sanitize_library_name(name: str | None, expected: str) -> None:
    assert sanitize_library_name(name) == expected


@given(st.text())
def test_sanitized_names_are_safe_and_stable(name: str) -> None:
    safe = sanitize_library_name(name)
    assert safe
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in safe)
    assert sanitize_library_name(safe) == safe
    assert "/" not in safe and os.sep not in safe


def test_default_settings_dir_follows_xdg_config_home(tmp_path: Path) -> None:
    assert default_settings_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == os.path.join(tmp_path, APP_DIR_NAME)


def test_default_settings_dir_without_xdg_uses_dot_config() -> None:
    expected = os.path.join(os.path.expanduser("~"), ".config", APP_DIR_NAME)
    assert default_settings_dir({}) == expected
    assert default_settings_dir({"XDG_CONFIG_HOME": ""}) == expected


def test_default_settings_dir_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_settings_dir() == os.path.join(tmp_path, APP_DIR_NAME)
    # The module-level helpers use it when no settings directory is given.
    assert get_cache_base_dir(create=False) == os.path.join(tmp_path, APP_DIR_NAME, "cache")
    assert cache_paths.get_legacy_cache_paths(CacheType.TAG_FTS) == [
        os.path.join(tmp_path, APP_DIR_NAME, "tag_fts.sqlite")
    ]


def test_module_functions_take_the_settings_dir(tmp_path: Path) -> None:
    assert get_cache_base_dir(settings_dir=tmp_path / "a") == os.path.join(tmp_path, "a", "cache")
    assert (tmp_path / "a" / "cache").is_dir()
    assert get_cache_file_path(CacheType.MODEL, "lib", settings_dir=tmp_path) == os.path.join(
        tmp_path, "cache", "model", "lib.sqlite"
    )
    assert (tmp_path / "cache" / "model").is_dir()
    assert not (tmp_path / "cache" / "recipe").exists()
    get_cache_file_path(CacheType.RECIPE, create_dir=False, settings_dir=tmp_path)
    assert not (tmp_path / "cache" / "recipe").exists()


def test_env_override_is_returned_verbatim_without_migration(tmp_path: Path) -> None:
    legacy = tmp_path / "model_cache.sqlite"
    legacy.write_bytes(b"legacy")
    override = str(tmp_path / "elsewhere" / "custom.db")
    result = resolve_cache_path_with_migration(CacheType.MODEL, None, override, settings_dir=tmp_path)
    assert result == override
    assert legacy.read_bytes() == b"legacy"
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_without_legacy_files_the_canonical_path_is_returned_uncreated(tmp_path: Path) -> None:
    result = resolve_cache_path_with_migration(CacheType.MODEL_UPDATE, "lib", settings_dir=tmp_path)
    assert result == os.path.join(tmp_path, "cache", "model_update", "lib.sqlite")
    assert os.path.isdir(os.path.dirname(result))
    assert not os.path.exists(result)


def test_existing_canonical_file_wins_over_legacy(tmp_path: Path) -> None:
    canonical = Path(CachePaths(tmp_path).file_path(CacheType.MODEL))
    canonical.write_bytes(b"new")
    legacy = tmp_path / "model_cache" / "default.sqlite"
    legacy.parent.mkdir()
    legacy.write_bytes(b"old")
    assert resolve_cache_path_with_migration(CacheType.MODEL, settings_dir=tmp_path) == str(canonical)
    assert canonical.read_bytes() == b"new"
    assert legacy.read_bytes() == b"old"


def test_database_path_survives_an_unusable_settings_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A regular file where a directory should be: no permission trick, fails for root too.
    blocker = tmp_path / "settings"
    blocker.write_text("not a directory")
    paths = CachePaths(blocker)
    with pytest.raises(NotADirectoryError):
        paths.resolve_with_migration(CacheType.MODEL, "lib", None)
    caplog.clear()
    assert paths.database_path(CacheType.MODEL, "lib", None) == os.path.join(
        blocker, "cache", "model", "lib.sqlite"
    )
    assert blocker.read_text() == "not a directory"
    target = os.path.join(blocker, "cache")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Cache directory under {blocker} is not usable: [Errno 20] Not a directory: '{target}'")
    ]


def test_database_path_passes_the_override_through(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path)
    assert paths.database_path(CacheType.RECIPE, "x", "/custom/recipes.db") == "/custom/recipes.db"
    assert paths.database_path(CacheType.RECIPE, "x", None) == os.path.join(
        tmp_path, "cache", "recipe", "x.sqlite"
    )
