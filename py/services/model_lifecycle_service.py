"""Model lifecycle: delete, exclude, restore, bulk-delete and rename a model with its sidecars.

After every operation the disk, the model cache, the hash index, the excluded list and the persistent
cache agree; a rename that cannot finish puts every file back and leaves the caches untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from py.services.model_cache import ModelCache, as_int
from py.services.model_hash_index import ModelHashIndex
from py.services.persistent_model_cache import PersistentModelCache
from py.services.sidecar_store import MetadataError
from py.utils.constants import METADATA_BACKUP_SUFFIX, METADATA_SUFFIX, PREVIEW_EXTENSIONS
from py.utils.file_utils import normalize_path, sidecar_path

INVALID_FILE_NAME_CHARS = frozenset('/\\:*?"<>|')


class RenameFailedError(RuntimeError):
    """A file of the set could not be renamed; every file already renamed was moved back."""


class ModelLibrary(Protocol):
    """The part of a model scanner the lifecycle operations read and keep consistent."""

    model_type: str
    hash_index: ModelHashIndex
    excluded_models: list[str]
    tag_counts: dict[str, int]
    persistent_cache: PersistentModelCache | None

    def get_model_roots(self) -> list[str]: ...

    async def get_cached_data(self) -> ModelCache: ...

    def bump_cache_version(self) -> None: ...


class MetadataStore(Protocol):
    """Reads and writes the metadata sidecar of a model file."""

    async def load(self, model_path: str) -> dict[str, Any] | None: ...

    async def save(self, model_path: str, payload: dict[str, Any]) -> None: ...


class DeleteStager(Protocol):
    """Moves a model's files aside so the delete can be undone; None means "not staged"."""

    async def stage_model_delete(
        self, *, model_type: str, file_path: str, files: list[str]
    ) -> str | None: ...


class VersionSync(Protocol):
    """Told which versions of a model remain in the library after one is deleted."""

    async def update_in_library_versions(
        self, model_type: str, model_id: int, version_ids: list[int]
    ) -> None: ...


class RecipeReferences(Protocol):
    """Recipes that name a LoRA by file name; kept in step when the LoRA is renamed."""

    async def update_lora_filename_by_hash(self, sha256: str, new_file_name: str) -> Any: ...


def _artifact_suffixes(main_extension: str) -> list[str]:
    # Main file first: if it cannot be removed nothing else has been touched.
    return list(dict.fromkeys([main_extension, METADATA_SUFFIX, METADATA_BACKUP_SUFFIX, *PREVIEW_EXTENSIONS]))


def find_model_artifacts(
    target_dir: str, file_name: str, main_extension: str = ".safetensors"
) -> list[tuple[str, str]]:
    """``(suffix, path)`` of every existing file of model ``file_name``: main file, sidecars, previews."""
    found = []
    for suffix in _artifact_suffixes(main_extension):
        path = normalize_path(os.path.join(target_dir, file_name + suffix))
        if os.path.isfile(path):
            found.append((suffix, path))
    return found


def delete_model_artifacts(
    target_dir: str, file_name: str, main_extension: str = ".safetensors"
) -> list[str]:
    """Remove the model file, its sidecars (with the backup) and its previews; return their paths.

    Every returned path is a full forward-slash path. A missing main file is not an error.
    """
    deleted = []
    for _, path in find_model_artifacts(target_dir, file_name, main_extension):
        os.remove(path)
        deleted.append(path)
    return deleted


def _is_within(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def require_path_in_library_roots(path: str, roots: Iterable[str], label: str = "Model path") -> None:
    """Raise ``ValueError`` unless ``path`` is a root or lies under one.

    The check is lexical (``..`` is collapsed, symlinks are not resolved): a folder linked into a
    root belongs to the library, a link outside the roots pointing into one does not. With no
    roots configured nothing is inside.
    """
    candidate = os.path.abspath(path)
    if not any(_is_within(candidate, os.path.abspath(root)) for root in roots if root):
        raise ValueError(f"{label} '{path}' is outside configured library directories")


def extract_model_id(payload: Any) -> int | None:
    """The CivitAI model id of a sidecar payload or cache entry, or None.

    ``civitai.modelId``, ``civitai.model_id`` and ``civitai.model.id`` come first, then the top-level
    ``model_id`` and ``civitai_model_id``; the first integer (or digit string) wins.
    """
    if not isinstance(payload, Mapping):
        return None
    civitai = payload.get("civitai")
    civitai = civitai if isinstance(civitai, Mapping) else {}
    model = civitai.get("model")
    candidates = (
        civitai.get("modelId"),
        civitai.get("model_id"),
        model.get("id") if isinstance(model, Mapping) else None,
        payload.get("model_id"),
        payload.get("civitai_model_id"),
    )
    for candidate in candidates:
        model_id = as_int(candidate)
        if model_id is not None:
            return model_id
    return None


def _split_model_path(path: str) -> tuple[str, str, str]:
    target_dir, base_name = os.path.split(path)
    file_name, extension = os.path.splitext(base_name)
    return target_dir, file_name, extension


class ModelLifecycleService:
    """Co-ordinates the destructive and mutating operations on one model library."""

    def __init__(
        self,
        *,
        library: ModelLibrary,
        metadata: MetadataStore,
        stager: DeleteStager | None = None,
        version_sync: VersionSync | None = None,
        recipe_references: RecipeReferences | None = None,
        rename: Callable[[str, str], None] = os.rename,
    ) -> None:
        self._library = library
        self._metadata = metadata
        self._stager = stager
        self._version_sync = version_sync
        self._recipe_references = recipe_references
        self._rename = rename

    # -- checks -----------------------------------------------------------------------------------

    def _checked_path(self, file_path: str) -> str:
        if not file_path:
            raise ValueError("Model path is required")
        require_path_in_library_roots(file_path, self._library.get_model_roots())
        return normalize_path(file_path)

    @staticmethod
    def _require_file(path: str) -> None:
        if not os.path.isfile(path):
            raise ValueError("Model file does not exist")

    # -- delete -----------------------------------------------------------------------------------

    async def delete_model(self, file_path: str) -> dict[str, Any]:
        """Delete a model's files (or stage them) and drop it from every cache."""
        path = self._checked_path(file_path)
        cache = await self._library.get_cached_data()
        result = await self._delete_one(cache, path)
        await self._persist(cache)
        return {"success": True, **result}

    async def bulk_delete_models(self, file_paths: Iterable[str]) -> dict[str, Any]:
        """Delete several models; every path is checked before any file is touched."""
        paths = list(file_paths)
        if not paths:
            raise ValueError("No file paths provided for deletion")
        checked = [self._checked_path(path) for path in paths]
        cache = await self._library.get_cached_data()
        results = []
        for path in dict.fromkeys(checked):
            results.append({"file_path": path, **await self._delete_one(cache, path)})
        await self._persist(cache)
        return {"success": True, "total_deleted": len(results), "results": results}

    async def _delete_one(self, cache: ModelCache, path: str) -> dict[str, Any]:
        entry = _find_entry(cache, path)
        try:
            model_id = extract_model_id(await self._metadata.load(path))
        except MetadataError:
            # A corrupt sidecar must not block deleting the model it belongs to.
            model_id = None
        if model_id is None:
            model_id = extract_model_id(entry)

        target_dir, file_name, extension = _split_model_path(path)
        batch_id = None
        if self._stager is not None:
            files = [artifact for _, artifact in find_model_artifacts(target_dir, file_name, extension)]
            batch_id = await self._stager.stage_model_delete(
                model_type=self._library.model_type, file_path=path, files=files
            )
        deleted = delete_model_artifacts(target_dir, file_name, extension) if batch_id is None else files

        if entry is not None:
            self._count_tags(entry, -1)
            await self._drop_entry(cache, path)
        self._library.hash_index.remove_by_path(path)
        await self._sync_versions(cache, model_id)
        return {"deleted_files": deleted, "batch_id": batch_id}

    async def _sync_versions(self, cache: ModelCache, model_id: int | None) -> None:
        if self._version_sync is None or model_id is None:
            return
        remaining = sorted(
            {descriptor["versionId"] for descriptor in cache.get_versions_by_model_id(model_id)}
        )
        await self._version_sync.update_in_library_versions(self._library.model_type, model_id, remaining)

    # -- exclude / restore ------------------------------------------------------------------------

    async def exclude_model(self, file_path: str) -> dict[str, Any]:
        """Mark a model excluded in its sidecar and remove it from the caches (files stay)."""
        path = self._checked_path(file_path)
        self._require_file(path)
        payload = await self._metadata.load(path) or {}
        payload["exclude"] = True
        await self._metadata.save(path, payload)

        cache = await self._library.get_cached_data()
        entry = _find_entry(cache, path)
        if entry is not None:
            self._count_tags(entry, -1)
            await self._drop_entry(cache, path)
        self._library.hash_index.remove_by_path(path)
        if path not in self._library.excluded_models:
            self._library.excluded_models.append(path)
        await self._persist(cache)
        return {"success": True, "message": f"Model {os.path.basename(path)} excluded"}

    async def unexclude_model(self, file_path: str) -> dict[str, Any]:
        """Clear a model's exclusion and put it back into the caches from its sidecar."""
        path = self._checked_path(file_path)
        self._require_file(path)
        payload = await self._metadata.load(path) or {}
        payload["exclude"] = False
        await self._metadata.save(path, payload)

        cache = await self._library.get_cached_data()
        entry = {
            **payload,
            "file_path": path,
            "file_name": _split_model_path(path)[1],
            "folder": self._folder_of(path),
        }
        self._library.excluded_models[:] = [p for p in self._library.excluded_models if p != path]
        previous = _find_entry(cache, path)
        if previous is not None:
            self._count_tags(previous, -1)
        cache.raw_data = [item for item in cache.raw_data if item.get("file_path") != path] + [entry]
        self._count_tags(entry, +1)
        self._index_hash(path, entry)
        await self._resort(cache)
        await self._persist(cache)
        return {"success": True, "message": f"Model {os.path.basename(path)} restored"}

    def _folder_of(self, path: str) -> str:
        # The deepest root holding the path: nested roots give the shortest folder. Roots that hold
        # the same path are ancestors of one another, so the greatest string is the deepest.
        absolute = os.path.abspath(path)
        roots = [os.path.abspath(root) for root in self._library.get_model_roots() if root]
        root = max(r for r in roots if _is_within(absolute, r))
        folder = os.path.relpath(os.path.dirname(absolute), root)
        return "" if folder == os.curdir else normalize_path(folder)

    # -- rename -----------------------------------------------------------------------------------

    async def rename_model(self, *, file_path: str, new_file_name: str) -> dict[str, Any]:
        """Rename a model with its sidecars and previews, all or nothing, and update every cache."""
        if not file_path or not new_file_name:
            raise ValueError("File path and new file name are required")
        if any(char in INVALID_FILE_NAME_CHARS for char in new_file_name):
            raise ValueError("Invalid characters in file name")
        path = self._checked_path(file_path)
        self._require_file(path)

        target_dir, file_name, extension = _split_model_path(path)
        new_path = normalize_path(os.path.join(target_dir, new_file_name + extension))
        moves = [
            (suffix, old, normalize_path(os.path.join(target_dir, new_file_name + suffix)))
            for suffix, old in find_model_artifacts(target_dir, file_name, extension)
        ]
        # Checked for the whole set: os.rename would silently replace an existing sidecar or preview.
        if any(os.path.lexists(new) for _, _, new in moves):
            raise ValueError("A file with this name already exists")
        payload = await self._metadata.load(path)

        renamed = {old: new for _, old, new in moves}
        previews = [new for suffix, _, new in moves if suffix in PREVIEW_EXTENSIONS]
        new_preview = previews[0] if previews else None
        await self._rename_all(moves, new_file_name, payload, renamed)

        cache = await self._library.get_cached_data()
        entry = _find_entry(cache, path)
        sha256 = (payload or {}).get("sha256")
        if entry is not None:
            sha256 = sha256 or entry.get("sha256")
            moved = {**entry, "file_path": new_path, "file_name": new_file_name}
            moved["preview_url"] = renamed.get(entry.get("preview_url"), entry.get("preview_url"))
            cache.raw_data = [moved if item is entry else item for item in cache.raw_data]
            self._library.hash_index.remove_by_path(path)
            self._index_hash(new_path, moved)
            await self._resort(cache)
            await self._persist(cache)
        if sha256 and self._recipe_references is not None and self._library.model_type == "lora":
            await self._recipe_references.update_lora_filename_by_hash(sha256, new_file_name)
        return {
            "success": True,
            "new_file_path": new_path,
            "new_preview_path": new_preview,
            "renamed_files": [new for _, _, new in moves],
            "reload_required": False,
        }

    async def _rename_all(
        self,
        moves: list[tuple[str, str, str]],
        new_file_name: str,
        payload: dict[str, Any] | None,
        renamed: dict[str, str],
    ) -> None:
        new_path = moves[0][2]
        done: list[tuple[str, str]] = []
        try:
            for _, old, new in moves:
                failed = new
                self._rename(old, new)
                done.append((old, new))
            if payload is not None:
                failed = sidecar_path(new_path)
                payload["file_name"] = new_file_name
                payload["file_path"] = new_path
                if payload.get("preview_url") in renamed:
                    payload["preview_url"] = renamed[payload["preview_url"]]
                await self._metadata.save(new_path, payload)
        except OSError as exc:
            for old, new in reversed(done):
                self._rename(new, old)
            raise RenameFailedError(
                f"Could not rename to '{os.path.basename(failed)}': {exc.strerror or exc}; no file was renamed"
            ) from exc

    # -- cache upkeep -----------------------------------------------------------------------------

    async def _drop_entry(self, cache: ModelCache, path: str) -> None:
        cache.raw_data = [item for item in cache.raw_data if item.get("file_path") != path]
        await self._resort(cache)

    async def _resort(self, cache: ModelCache) -> None:
        await cache.resort()
        self._library.bump_cache_version()

    def _count_tags(self, entry: Mapping[str, Any], delta: int) -> None:
        counts = self._library.tag_counts
        for tag in entry.get("tags") or ():
            count = counts.get(tag, 0) + delta
            if count > 0:
                counts[tag] = count
            else:
                counts.pop(tag, None)

    def _index_hash(self, path: str, entry: Mapping[str, Any]) -> None:
        sha256 = entry.get("sha256")
        if sha256:
            self._library.hash_index.add_entry(sha256, path, entry.get("autov3"))

    async def _persist(self, cache: ModelCache) -> None:
        store = self._library.persistent_cache
        if store is None:
            return
        index = self._library.hash_index
        store.save_cache(
            self._library.model_type,
            cache.raw_data,
            _hash_snapshot(index),
            list(self._library.excluded_models),
        )


def _find_entry(cache: ModelCache, path: str) -> dict[str, Any] | None:
    return next((item for item in cache.raw_data if item.get("file_path") == path), None)


def _hash_snapshot(index: ModelHashIndex) -> dict[str, list[str]]:
    """``{sha256: [paths]}`` of a hash index, duplicate copies included."""
    duplicates = index.get_duplicate_hashes()
    return {sha: list(duplicates.get(sha) or [index.get_path(sha)]) for sha in index.get_all_hashes()}
