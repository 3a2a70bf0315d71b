"""ModelCache: the in-memory list of one library's models, with sorted views and version indexes.

Sorted views are computed once per (key, order, seed) and reused until the next resort.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from typing import Any

from py.utils.file_utils import normalize_path

NAME_DISPLAY_MODES = ("model_name", "file_name")
SORT_KEYS = ("name", "date", "size", "usage", "random", "versions_count")

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """``model2`` before ``model10``: digit runs compare as numbers, the rest case-insensitively."""
    parts = _DIGITS.split(text.lower())
    # split() alternates text and digits, so equal positions always hold comparable types.
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


def as_int(value: Any) -> int | None:
    """An id given as int or numeric string; anything else (bool included) is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value)
    return None


@dataclass
class ModelCache:
    raw_data: list[dict[str, Any]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    version_index: dict[int, dict[str, Any]] = field(default_factory=dict)
    model_id_index: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    version_files_index: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    name_display_mode: str = "model_name"

    def __post_init__(self) -> None:
        if self.name_display_mode not in NAME_DISPLAY_MODES:
            self.name_display_mode = "model_name"
        for item in self.raw_data:
            for key in ("model_name", "file_name", "folder"):
                value = item.get(key)
                item[key] = "" if value is None else str(value)
        self._lock = asyncio.Lock()
        self._sorted: dict[tuple[str, str, Any], list[dict[str, Any]]] = {}
        # Indexed here rather than in a background task: a cache is usable as soon as it exists,
        # inside an event loop or not. Sorted views are computed on first request.
        self._refresh()

    # -- sorting ---------------------------------------------------------------

    def display_name(self, item: dict[str, Any]) -> str:
        if self.name_display_mode == "file_name":
            return item.get("file_name") or ""
        return item.get("model_name") or item.get("file_name") or ""

    def _name_key(self, item: dict[str, Any]) -> tuple[Any, ...]:
        return (natural_key(self.display_name(item)), item.get("file_path") or "")

    def _sort(self, sort_key: str, order: str, seed: Any) -> list[dict[str, Any]]:
        items = list(self.raw_data)
        if sort_key in ("name", "versions_count"):
            items.sort(key=self._name_key)
        elif sort_key == "date":
            items.sort(key=lambda item: (item.get("modified") or 0, *self._name_key(item)))
        elif sort_key == "size":
            items.sort(key=lambda item: (item.get("size") or 0, *self._name_key(item)))
        elif sort_key == "usage":
            items.sort(key=lambda item: (item.get("usage_count") or 0, *self._name_key(item)))
        elif sort_key == "random":
            random.Random(seed or "random").shuffle(items)
        else:
            return items
        if order == "desc":
            items.reverse()
        return items

    def get_sorted_data(self, sort_key: str = "name", order: str = "asc", seed: Any = None) -> list[dict]:
        """The models in the requested order; the same list object until the next resort."""
        memo_key = (sort_key, order, seed)
        if memo_key not in self._sorted:
            self._sorted[memo_key] = self._sort(sort_key, order, seed)
        return self._sorted[memo_key]

    def _refresh(self) -> None:
        self._sorted.clear()
        self.folders = sorted(
            {item.get("folder") or "" for item in self.raw_data}, key=lambda f: (f.lower(), f)
        )
        self.rebuild_version_index()

    async def resort(self) -> None:
        """Re-sort after ``raw_data`` changed: sorted views (on next request), folders, version indexes."""
        async with self._lock:
            self._refresh()

    async def update_name_display_mode(self, mode: str) -> None:
        """Switch the name shown; every sorted view changes, since names break ties in all of them."""
        self.name_display_mode = mode if mode in NAME_DISPLAY_MODES else "model_name"
        await self.resort()

    # -- version indexes -------------------------------------------------------

    @staticmethod
    def _ids(item: dict[str, Any]) -> tuple[int | None, int | None]:
        civitai = item.get("civitai")
        if not isinstance(civitai, dict):
            return None, None
        return as_int(civitai.get("id")), as_int(civitai.get("modelId"))

    @staticmethod
    def _descriptor(version_id: int, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "versionId": version_id,
            "name": item["civitai"].get("name"),
            "fileName": item.get("file_name"),
        }

    def rebuild_version_index(self) -> None:
        self.version_index = {}
        self.model_id_index = {}
        self.version_files_index = {}
        for item in self.raw_data:
            self.add_to_version_index(item)

    def _set_descriptor(self, model_id: int | None, version_id: int, item: dict[str, Any]) -> None:
        if model_id is None:
            return
        versions = self.model_id_index.setdefault(model_id, [])
        descriptor = self._descriptor(version_id, item)
        for index, existing in enumerate(versions):
            if existing["versionId"] == version_id:
                versions[index] = descriptor
                return
        versions.append(descriptor)

    def add_to_version_index(self, item: dict[str, Any]) -> None:
        version_id, model_id = self._ids(item)
        if version_id is None:
            return
        files = self.version_files_index.setdefault(version_id, [])
        path = item.get("file_path")
        files[:] = [existing for existing in files if existing.get("file_path") != path]
        files.append(item)
        self.version_index[version_id] = item
        self._set_descriptor(model_id, version_id, item)

    def remove_from_version_index(self, item: dict[str, Any]) -> None:
        """Drop one file; its version stays indexed while a sibling file of it remains."""
        version_id, model_id = self._ids(item)
        if version_id is None or version_id not in self.version_files_index:
            return
        path = item.get("file_path")
        files = [
            existing for existing in self.version_files_index[version_id] if existing.get("file_path") != path
        ]
        if files:
            self.version_files_index[version_id] = files
            self.version_index[version_id] = files[0]
            self._set_descriptor(model_id, version_id, files[0])
            return
        del self.version_files_index[version_id]
        del self.version_index[version_id]
        if model_id is None or model_id not in self.model_id_index:
            return
        remaining = [d for d in self.model_id_index[model_id] if d["versionId"] != version_id]
        if remaining:
            self.model_id_index[model_id] = remaining
        else:
            del self.model_id_index[model_id]

    def get_versions_by_model_id(self, model_id: Any) -> list[dict[str, Any]]:
        key = as_int(model_id)
        return [dict(descriptor) for descriptor in self.model_id_index.get(key, [])]

    def get_files_by_version_id(self, version_id: Any) -> list[dict[str, Any]]:
        key = as_int(version_id)
        return list(self.version_files_index.get(key, []))

    # -- previews --------------------------------------------------------------

    def update_preview_url(self, file_path: str, preview_url: str, preview_nsfw_level: int = 0) -> bool:
        wanted = normalize_path(file_path)
        for item in self.raw_data:
            if normalize_path(item.get("file_path")) == wanted:
                item["preview_url"] = preview_url
                item["preview_nsfw_level"] = preview_nsfw_level
                return True
        return False

    def clear_preview_by_path(self, preview_path: str) -> int:
        """Blank every entry that shows ``preview_path``; returns how many did."""
        wanted = normalize_path(preview_path)
        cleared = 0
        for item in self.raw_data:
            if item.get("preview_url") and normalize_path(item["preview_url"]) == wanted:
                item["preview_url"] = ""
                item["preview_nsfw_level"] = 0
                cleared += 1
        return cleared
