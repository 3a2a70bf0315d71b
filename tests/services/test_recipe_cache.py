"""RecipeCache: sorted views, folder tree, and id handling (ids compare as strings)."""

from __future__ import annotations

from typing import Any

from py.services.recipe_cache import RecipeCache, build_folder_tree


def recipe(recipe_id: Any, title: str = "", path: str = "", **fields: Any) -> dict[str, Any]:
    return {"id": recipe_id, "title": title, "file_path": path or f"/r/{recipe_id}.png", **fields}


def ids(recipes: list[dict[str, Any]]) -> list[Any]:
    return [r["id"] for r in recipes]


def test_build_folder_tree_nests_segments() -> None:
    assert build_folder_tree(["a/b", "a/c", "d", "a//e/"]) == {"a": {"b": {}, "c": {}, "e": {}}, "d": {}}
    assert build_folder_tree([]) == {}


async def test_resort_builds_name_date_views_and_folders() -> None:
    cache = RecipeCache(
        raw_data=[
            recipe(1, "Sunset 10", "/r/B.png", modified=5.0, folder="b/x"),
            recipe(2, "sunset 2", "/r/a.png", created_date=9.0, folder="A"),
            recipe(3, "Sunset 2", "/r/C.png", modified=5.0, folder="b/x"),
            recipe(4, None, None, folder=""),
        ]
    )
    await cache.resort()
    assert ids(cache.sorted_by_name) == [4, 2, 3, 1]
    assert ids(cache.sorted_by_date) == [2, 3, 1, 4]
    assert cache.folders == ["A", "b/x"]
    assert cache.folder_tree == {"A": {}, "b": {"x": {}}}


async def test_resort_name_only_leaves_date_view_and_folders() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "b", folder="f"), recipe(2, "a", modified=3)])
    await cache.resort(name_only=True)
    assert ids(cache.sorted_by_name) == [2, 1]
    assert cache.sorted_by_date == []
    assert cache.folders == []
    assert cache.folder_tree == {}


async def test_add_recipe_resorts_only_when_asked() -> None:
    cache = RecipeCache()
    await cache.add_recipe(recipe(1, "b"))
    assert ids(cache.raw_data) == [1]
    assert cache.sorted_by_name == []
    await cache.add_recipe(recipe(2, "a"), resort=True)
    assert ids(cache.sorted_by_name) == [2, 1]


async def test_remove_recipe_matches_ids_as_strings_and_drops_image_ids() -> None:
    cache = RecipeCache(
        raw_data=[recipe(1, "a"), recipe("2", "b")],
        image_id_map={"100": "1", "200": "2", "300": "2"},
    )
    await cache.resort()
    removed = await cache.remove_recipe(2)
    assert removed == recipe("2", "b")
    assert ids(cache.raw_data) == [1]
    assert ids(cache.sorted_by_name) == [1]
    assert cache.image_id_map == {"100": "1"}
    assert await cache.remove_recipe("missing") is None
    assert ids(cache.raw_data) == [1]


async def test_bulk_remove_returns_the_removed_recipes() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "a"), recipe(2, "b"), recipe(3, "c")], image_id_map={"9": "3"})
    removed = await cache.bulk_remove(["1", 3, "nope"])
    assert ids(removed) == [1, 3]
    assert ids(cache.raw_data) == [2]
    assert ids(cache.sorted_by_date) == [2]
    assert cache.image_id_map == {}
    assert await cache.bulk_remove(["nope"]) == []


async def test_replace_recipe() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "b"), recipe(2, "c")])
    new = recipe(1, "z")
    assert await cache.replace_recipe("1", new) is True
    assert cache.raw_data[0] is new
    assert ids(cache.sorted_by_name) == [2, 1]
    assert await cache.replace_recipe(9, recipe(9)) is False
    assert len(cache.raw_data) == 2


async def test_replace_recipe_without_resort() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "b")])
    assert await cache.replace_recipe(1, recipe(1, "z"), resort=False) is True
    assert cache.sorted_by_name == []


async def test_update_recipe_metadata_patches_in_place() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "b"), recipe(2, "c")])
    assert await cache.update_recipe_metadata(2, {"title": "a", "favorite": True}) is True
    assert cache.raw_data[1] == recipe(2, "a", favorite=True)
    assert ids(cache.sorted_by_name) == [2, 1]
    assert await cache.update_recipe_metadata("x", {"title": "q"}) is False


async def test_update_recipe_metadata_without_resort() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "b")])
    assert await cache.update_recipe_metadata(1, {"title": "a"}, resort=False) is True
    assert cache.raw_data[0]["title"] == "a"
    assert cache.sorted_by_name == []


def test_get_recipe_returns_a_shallow_copy() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "a"), recipe(2, "b")])
    got = cache.get_recipe("2")
    assert got == recipe(2, "b")
    got["title"] = "changed"
    assert cache.raw_data[1]["title"] == "b"
    assert cache.get_recipe(3) is None


def test_snapshot_copies_each_recipe() -> None:
    cache = RecipeCache(raw_data=[recipe(1, "a")])
    snap = cache.snapshot()
    snap[0]["title"] = "changed"
    assert snap == [recipe(1, "changed")]
    assert cache.raw_data == [recipe(1, "a")]


async def test_name_ties_break_on_lowercased_path_missing_path_first() -> None:
    cache = RecipeCache(
        raw_data=[
            {"id": "upper", "title": "same", "file_path": "/r/A.png"},
            {"id": "underscore", "title": "same", "file_path": "/r/_b.png"},
            {"id": "none", "title": "same"},
        ]
    )
    await cache.resort()
    # Lower-cased, "_" sorts before letters; a missing path is the empty string.
    assert ids(cache.sorted_by_name) == ["none", "underscore", "upper"]


async def test_date_prefers_modified_then_created_then_zero() -> None:
    cache = RecipeCache(
        raw_data=[
            {"id": "both", "modified": 5, "created_date": 20, "file_path": "/r/1"},
            {"id": "created", "created_date": 9, "file_path": "/r/2"},
            {"id": "half", "modified": 0.5, "file_path": "/r/3"},
            {"id": "neither", "file_path": "/r/4"},
            {"id": "neither-no-path"},
        ]
    )
    await cache.resort()
    assert ids(cache.sorted_by_date) == ["created", "both", "half", "neither", "neither-no-path"]


async def test_folders_sort_case_insensitively() -> None:
    cache = RecipeCache(raw_data=[recipe(1, folder="B"), recipe(2, folder="a"), recipe(3, folder="a")])
    await cache.resort()
    assert cache.folders == ["a", "B"]
