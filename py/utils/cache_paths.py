"""Where cache files live under the settings directory, and how files at older locations move there.

A legacy file is deleted only after its canonical copy is proven byte-identical.
"""

from __future__ import annotations

import contextlib
import filecmp
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from enum import Enum

logger = logging.getLogger(__name__)

APP_DIR_NAME = "ComfyUI-LoRA-Manager"
DEFAULT_LIBRARY = "default"
CACHE_DIR_NAME = "cache"
SQLITE_COMPANIONS = ("-wal", "-shm")
_UNSAFE_LIBRARY_CHARS = re.compile(r"[^A-Za-z0-9_.-]")

CopyFile = Callable[[str, str], object]
RemoveFile = Callable[[str], object]


class CacheType(Enum):
    MODEL = "model"
    MODEL_UPDATE = "model_update"
    RECIPE = "recipe"
    RECIPE_FTS = "recipe_fts"
    TAG_FTS = "tag_fts"
    SYMLINK = "symlink"


# Per-library caches: {cache}/{subdir}/{library}.sqlite. Shared ones have a fixed relative path.
_PER_LIBRARY_DIRS = {
    CacheType.MODEL: "model",
    CacheType.MODEL_UPDATE: "model_update",
    CacheType.RECIPE: "recipe",
}
_SHARED_FILES = {
    CacheType.RECIPE_FTS: ("fts", "recipe_fts.sqlite"),
    CacheType.TAG_FTS: ("fts", "tag_fts.sqlite"),
    CacheType.SYMLINK: ("symlink", "symlink_map.json"),
}
# Legacy per-library caches lived in {settings}/{dir}/{library}.sqlite or {settings}/{dir}.sqlite.
_LEGACY_LIBRARY_DIRS = {CacheType.MODEL: "model_cache", CacheType.RECIPE: "recipe_cache"}
_LEGACY_SHARED_FILES = {
    CacheType.RECIPE_FTS: ("recipe_fts.sqlite",),
    CacheType.TAG_FTS: ("tag_fts.sqlite",),
    CacheType.SYMLINK: ("cache", "symlink_map.json"),
}


def sanitize_library_name(library_name: str | None) -> str:
    """A library name safe as a file name: anything outside ``[A-Za-z0-9_.-]`` becomes ``_``."""
    if not library_name:
        return DEFAULT_LIBRARY
    return _UNSAFE_LIBRARY_CHARS.sub("_", library_name)


def default_settings_dir(environ: Mapping[str, str] | None = None) -> str:
    """The user's settings directory: ``$XDG_CONFIG_HOME`` or ``~/.config``, then the app's folder."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, APP_DIR_NAME)


def _copy_atomically(source: str, target: str, copy_file: CopyFile) -> None:
    """Copy so that ``target`` is either absent or complete: a half copy would pass for a cache."""
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target))
    os.close(fd)
    try:
        copy_file(source, temporary)
        if not _same_bytes(source, temporary):
            raise OSError(f"copy of {source} differs from the original")
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


class CachePaths:
    """The cache layout of one settings directory; ``copy_file``/``remove_file`` do the file work."""

    def __init__(
        self,
        settings_dir: str | os.PathLike[str],
        copy_file: CopyFile = shutil.copy2,
        remove_file: RemoveFile = os.remove,
    ) -> None:
        self.settings_dir = os.fspath(settings_dir)
        self._copy_file = copy_file
        self._remove_file = remove_file

    def base_dir(self, create: bool = True) -> str:
        path = os.path.join(self.settings_dir, CACHE_DIR_NAME)
        if create:
            os.makedirs(path, exist_ok=True)
        return path

    def file_path(
        self, cache_type: CacheType, library_name: str | None = None, create_dir: bool = True
    ) -> str:
        path = self._location(cache_type, library_name)
        if create_dir:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def _location(self, cache_type: CacheType, library_name: str | None) -> str:
        if cache_type in _PER_LIBRARY_DIRS:
            subdir = _PER_LIBRARY_DIRS[cache_type]
            name = f"{sanitize_library_name(library_name)}.sqlite"
        else:
            subdir, name = _SHARED_FILES[cache_type]
        return os.path.join(self.settings_dir, CACHE_DIR_NAME, subdir, name)

    def legacy_paths(self, cache_type: CacheType, library_name: str | None = None) -> list[str]:
        """Older locations of a cache file, most specific first."""
        if cache_type in _LEGACY_LIBRARY_DIRS:
            legacy_dir = _LEGACY_LIBRARY_DIRS[cache_type]
            library = sanitize_library_name(library_name)
            paths = [os.path.join(self.settings_dir, legacy_dir, f"{library}.sqlite")]
            # Before libraries existed there was one root-level file: it belongs to the default library.
            if library == DEFAULT_LIBRARY:
                paths.append(os.path.join(self.settings_dir, f"{legacy_dir}.sqlite"))
            return paths
        if cache_type in _LEGACY_SHARED_FILES:
            return [os.path.join(self.settings_dir, *_LEGACY_SHARED_FILES[cache_type])]
        return []

    def resolve_with_migration(
        self, cache_type: CacheType, library_name: str | None = None, env_override: str | None = None
    ) -> str:
        """The path to use for a cache, moving the first legacy file found to it if it is missing."""
        if env_override:
            return env_override
        canonical = self.file_path(cache_type, library_name)
        if os.path.exists(canonical):
            return canonical
        for legacy in self.legacy_paths(cache_type, library_name):
            if not os.path.isfile(legacy):
                continue
            try:
                self._copy_with_companions(legacy, canonical)
            except OSError as exc:
                logger.warning("Could not migrate cache %s to %s: %s", legacy, canonical, exc)
                continue
            logger.info("Migrated cache %s to %s", legacy, canonical)
            self._remove_legacy(legacy)
            return canonical
        return canonical

    def database_path(self, cache_type: CacheType, library_name: str | None, env_override: str | None) -> str:
        """``resolve_with_migration``, but an unusable cache directory is logged, not raised.

        The service keeps the path; each of its writes then fails softly with the same error.
        """
        try:
            return self.resolve_with_migration(cache_type, library_name, env_override)
        except OSError as exc:
            logger.warning("Cache directory under %s is not usable: %s", self.settings_dir, exc)
            return self._location(cache_type, library_name)

    def _copy_with_companions(self, legacy: str, canonical: str) -> None:
        """Copy a legacy file with its SQLite -wal/-shm; the main file goes last, marking completion.

        A -wal can hold committed rows not yet in the main file: copying the main file alone loses them.
        """
        copied: list[str] = []
        try:
            for suffix in SQLITE_COMPANIONS:
                if os.path.isfile(legacy + suffix):
                    _copy_atomically(legacy + suffix, canonical + suffix, self._copy_file)
                    copied.append(canonical + suffix)
            _copy_atomically(legacy, canonical, self._copy_file)
        except OSError:
            for path in copied:
                os.unlink(path)  # created just above
            raise

    def _remove_legacy(self, legacy: str) -> None:
        try:
            self._remove_file(legacy)
        except OSError as exc:
            logger.warning("Could not remove migrated legacy cache %s: %s", legacy, exc)
            return
        for suffix in SQLITE_COMPANIONS:
            if os.path.isfile(legacy + suffix):
                try:
                    self._remove_file(legacy + suffix)
                except OSError as exc:
                    logger.warning("Could not remove migrated legacy cache %s: %s", legacy + suffix, exc)
        parent = os.path.dirname(legacy)
        if os.path.basename(parent) in _LEGACY_LIBRARY_DIRS.values():
            # Fails while other libraries' files are still there, which is fine.
            with contextlib.suppress(OSError):
                os.rmdir(parent)

    def legacy_files_for_cleanup(self) -> list[str]:
        """Legacy files whose canonical counterpart exists and holds the same bytes."""
        found: list[str] = []
        for cache_type in CacheType:
            for library in self._libraries(cache_type):
                canonical = self._location(cache_type, library)
                for legacy in self.legacy_paths(cache_type, library):
                    if legacy not in found and os.path.isfile(legacy) and _same_bytes(legacy, canonical):
                        found.append(legacy)
        return found

    def _libraries(self, cache_type: CacheType) -> list[str]:
        """Library names with a legacy per-library file, plus the default library."""
        libraries = [DEFAULT_LIBRARY]
        legacy_dir = _LEGACY_LIBRARY_DIRS.get(cache_type)
        if legacy_dir is None:
            return libraries
        try:
            names = sorted(os.listdir(os.path.join(self.settings_dir, legacy_dir)))
        except OSError:
            return libraries
        libraries += [name[: -len(".sqlite")] for name in names if name.endswith(".sqlite")]
        return libraries

    def cleanup_legacy_files(self, dry_run: bool = True) -> list[str]:
        """Remove (or, in a dry run, only list) the legacy files that are already migrated."""
        files = self.legacy_files_for_cleanup()
        if dry_run:
            return files
        removed: list[str] = []
        for legacy in files:
            try:
                self._remove_file(legacy)
            except OSError as exc:
                logger.warning("Could not remove legacy cache %s: %s", legacy, exc)
                continue
            removed.append(legacy)
        return removed


def _same_bytes(left: str, right: str) -> bool:
    try:
        return filecmp.cmp(left, right, shallow=False)
    except OSError:
        return False


def _paths(settings_dir: str | os.PathLike[str] | None) -> CachePaths:
    return CachePaths(default_settings_dir() if settings_dir is None else settings_dir)


def get_cache_base_dir(create: bool = True, *, settings_dir: str | os.PathLike[str] | None = None) -> str:
    return _paths(settings_dir).base_dir(create)


def get_cache_file_path(
    cache_type: CacheType,
    library_name: str | None = None,
    create_dir: bool = True,
    *,
    settings_dir: str | os.PathLike[str] | None = None,
) -> str:
    return _paths(settings_dir).file_path(cache_type, library_name, create_dir)


def get_legacy_cache_paths(
    cache_type: CacheType,
    library_name: str | None = None,
    *,
    settings_dir: str | os.PathLike[str] | None = None,
) -> list[str]:
    return _paths(settings_dir).legacy_paths(cache_type, library_name)


def resolve_cache_path_with_migration(
    cache_type: CacheType,
    library_name: str | None = None,
    env_override: str | None = None,
    *,
    settings_dir: str | os.PathLike[str] | None = None,
) -> str:
    return _paths(settings_dir).resolve_with_migration(cache_type, library_name, env_override)


def get_legacy_cache_files_for_cleanup(*, settings_dir: str | os.PathLike[str] | None = None) -> list[str]:
    return _paths(settings_dir).legacy_files_for_cleanup()


def cleanup_legacy_cache_files(
    dry_run: bool = True, *, settings_dir: str | os.PathLike[str] | None = None
) -> list[str]:
    return _paths(settings_dir).cleanup_legacy_files(dry_run)
