"""RecipeCache: the in-memory recipes, sorted by name and by date, with their folder tree.

Ids are compared as strings everywhere: recipes arrive with int and str ids alike.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from py.services.model_cache import natural_key


def _name_key(recipe: dict[str, Any]) -> tuple[Any, ...]:
    return (natural_key(str(recipe.get("title") or "")), str(recipe.get("file_path") or "").lower())


def _date_key(recipe: dict[str, Any]) -> tuple[Any, ...]:
    return (recipe.get("modified") or recipe.get("created_date") or 0, str(recipe.get("file_path") or ""))


def build_folder_tree(folders: list[str]) -> dict[str, Any]:
    """``["a/b", "c"]`` -> ``{"a": {"b": {}}, "c": {}}``."""
    tree: dict[str, Any] = {}
    for folder in folders:
        node = tree
        for part in folder.split("/"):
            if part:
                node = node.setdefault(part, {})
    return tree


@dataclass
class RecipeCache:
    raw_data: list[dict[str, Any]] = field(default_factory=list)
    sorted_by_name: list[dict[str, Any]] = field(default_factory=list)
    sorted_by_date: list[dict[str, Any]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    folder_tree: dict[str, Any] = field(default_factory=dict)
    image_id_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()

    def _sort(self, name_only: bool) -> None:
        self.sorted_by_name = sorted(self.raw_data, key=_name_key)
        if name_only:
            return
        self.sorted_by_date = sorted(self.raw_data, key=_date_key, reverse=True)
        self.folders = sorted({str(r["folder"]) for r in self.raw_data if r.get("folder")}, key=str.lower)
        self.folder_tree = build_folder_tree(self.folders)

    async def resort(self, name_only: bool = False) -> None:
        """Rebuild the sorted views (and, unless ``name_only``, the folders) off the event loop."""
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(None, self._sort, name_only)

    def _index_of(self, recipe_id: Any) -> int | None:
        wanted = str(recipe_id)
        for index, recipe in enumerate(self.raw_data):
            if str(recipe.get("id")) == wanted:
                return index
        return None

    async def add_recipe(self, recipe: dict[str, Any], resort: bool = False) -> None:
        self.raw_data.append(recipe)
        if resort:
            await self.resort()

    async def remove_recipe(self, recipe_id: Any) -> dict[str, Any] | None:
        """Remove a recipe and the image ids that pointed at it; returns it, or None if unknown."""
        removed = await self.bulk_remove([recipe_id])
        return removed[0] if removed else None

    async def bulk_remove(self, recipe_ids: list[Any]) -> list[dict[str, Any]]:
        wanted = {str(recipe_id) for recipe_id in recipe_ids}
        removed = [r for r in self.raw_data if str(r.get("id")) in wanted]
        if not removed:
            return []
        self.raw_data[:] = [r for r in self.raw_data if str(r.get("id")) not in wanted]
        self.image_id_map = {k: v for k, v in self.image_id_map.items() if str(v) not in wanted}
        await self.resort()
        return removed

    async def replace_recipe(self, recipe_id: Any, new_recipe: dict[str, Any], resort: bool = True) -> bool:
        index = self._index_of(recipe_id)
        if index is None:
            return False
        self.raw_data[index] = new_recipe
        if resort:
            await self.resort()
        return True

    async def update_recipe_metadata(
        self, recipe_id: Any, patch: dict[str, Any], resort: bool = True
    ) -> bool:
        index = self._index_of(recipe_id)
        if index is None:
            return False
        self.raw_data[index].update(patch)
        if resort:
            await self.resort()
        return True

    def get_recipe(self, recipe_id: Any) -> dict[str, Any] | None:
        """A shallow copy: changing it does not change the cache."""
        index = self._index_of(recipe_id)
        return None if index is None else dict(self.raw_data[index])

    def snapshot(self) -> list[dict[str, Any]]:
        return [dict(recipe) for recipe in self.raw_data]
