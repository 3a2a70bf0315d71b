"""ModelCache: sorted views, folders, version indexes and preview updates."""

from __future__ import annotations

from typing import Any

import pytest

from py.services.model_cache import ModelCache, as_int, natural_key


def entry(path: str, name: str = "", **fields: Any) -> dict[str, Any]:
    item = {"file_path": path, "model_name": name, "file_name": path.rsplit("/", 1)[-1].split(".")[0]}
    item.update(fields)
    return item


def versioned(path: str, version_id: Any, model_id: Any, name: str = "v") -> dict[str, Any]:
    return entry(path, civitai={"id": version_id, "modelId": model_id, "name": name})


def paths(items: list[dict[str, Any]]) -> list[str]:
    return [item["file_path"] for item in items]


# -- construction ----------------------------------------------------------------------


def test_construction_coerces_text_fields() -> None:
    cache = ModelCache(raw_data=[{"file_path": "/a", "model_name": None, "file_name": 12, "folder": None}])
    assert cache.raw_data == [{"file_path": "/a", "model_name": "", "file_name": "12", "folder": ""}]


def test_construction_outside_an_event_loop_sorts_and_indexes() -> None:
    cache = ModelCache(raw_data=[entry("/b", "b", folder="Z"), versioned("/a", 5, 9)])
    assert cache.get_sorted_data() is cache.get_sorted_data("name", "asc", None)
    assert paths(cache.get_sorted_data()) == ["/a", "/b"]
    assert cache.folders == ["", "Z"]
    assert list(cache.version_index) == [5]


@pytest.mark.parametrize(("mode", "expected"), [("file_name", "file_name"), ("bogus", "model_name")])
def test_name_display_mode_is_validated(mode: str, expected: str) -> None:
    assert ModelCache(name_display_mode=mode).name_display_mode == expected


# -- sorting ---------------------------------------------------------------------------


def test_natural_key_orders_digit_runs_as_numbers() -> None:
    names = ["Model10", "model2", "model1b", "Model1a", "abc"]
    assert sorted(names, key=natural_key) == ["abc", "Model1a", "model1b", "model2", "Model10"]
    assert natural_key("A10b") == ("a", 10, "b")


def test_name_sort_is_natural_and_ties_break_on_path() -> None:
    cache = ModelCache(
        raw_data=[entry("/z", "lora10"), entry("/y", "Lora2"), entry("/b", "lora2"), entry("/a", "LORA1")]
    )
    assert paths(cache.get_sorted_data("name", "asc")) == ["/a", "/b", "/y", "/z"]
    assert paths(cache.get_sorted_data("name", "desc")) == ["/z", "/y", "/b", "/a"]


def test_name_sort_falls_back_to_file_name_without_model_name() -> None:
    cache = ModelCache(raw_data=[entry("/m/z.safetensors", ""), entry("/m/a.safetensors", "m")])
    assert paths(cache.get_sorted_data()) == ["/m/a.safetensors", "/m/z.safetensors"]


async def test_file_name_display_mode_sorts_by_file_name() -> None:
    cache = ModelCache(raw_data=[entry("/m/b.safetensors", "a"), entry("/m/a.safetensors", "b")])
    first = cache.get_sorted_data()
    assert paths(first) == ["/m/b.safetensors", "/m/a.safetensors"]
    await cache.update_name_display_mode("file_name")
    assert cache.name_display_mode == "file_name"
    assert paths(cache.get_sorted_data()) == ["/m/a.safetensors", "/m/b.safetensors"]


async def test_display_mode_change_invalidates_every_view() -> None:
    cache = ModelCache(
        raw_data=[entry("/m/b.safetensors", "a", modified=1), entry("/m/a.safetensors", "a", modified=1)]
    )
    by_date = cache.get_sorted_data("date", "asc")
    assert paths(by_date) == ["/m/a.safetensors", "/m/b.safetensors"]
    await cache.update_name_display_mode("nonsense")
    assert cache.name_display_mode == "model_name"
    assert cache.get_sorted_data("date", "asc") is not by_date
    await cache.update_name_display_mode("file_name")
    # Equal dates: the file name now breaks the tie.
    assert paths(cache.get_sorted_data("date", "desc")) == ["/m/b.safetensors", "/m/a.safetensors"]


def test_display_name_per_mode() -> None:
    item = entry("/m/file.safetensors", "Pretty")
    assert ModelCache().display_name(item) == "Pretty"
    assert ModelCache(name_display_mode="file_name").display_name(item) == "file"
    assert ModelCache(name_display_mode="file_name").display_name({}) == ""
    assert ModelCache().display_name({}) == ""


@pytest.mark.parametrize(
    ("sort_key", "field"),
    [("date", "modified"), ("size", "size"), ("usage", "usage_count")],
)
def test_numeric_sorts_then_name_then_path(sort_key: str, field: str) -> None:
    cache = ModelCache(
        raw_data=[
            entry("/c", "a", **{field: 5}),
            entry("/b", "b", **{field: 1}),
            entry("/a", "b", **{field: 1}),
            entry("/d", "a"),
        ]
    )
    assert paths(cache.get_sorted_data(sort_key, "asc")) == ["/d", "/a", "/b", "/c"]
    assert paths(cache.get_sorted_data(sort_key, "desc")) == ["/c", "/b", "/a", "/d"]


@pytest.mark.parametrize("sort_key", ["date", "size", "usage"])
def test_missing_numbers_sort_as_zero(sort_key: str) -> None:
    field = {"date": "modified", "size": "size", "usage": "usage_count"}[sort_key]
    cache = ModelCache(
        raw_data=[entry("/half", "a", **{field: 0.5}), entry("/none", "b"), entry("/neg", "c", **{field: -1})]
    )
    assert paths(cache.get_sorted_data(sort_key)) == ["/neg", "/none", "/half"]


def test_entries_without_path_sort_first_among_equal_names() -> None:
    cache = ModelCache(raw_data=[{"model_name": "a", "file_path": "/a"}, {"model_name": "a"}])
    assert [item.get("file_path") for item in cache.get_sorted_data()] == [None, "/a"]


def test_versions_count_sorts_by_name() -> None:
    cache = ModelCache(raw_data=[entry("/b", "b"), entry("/a", "a")])
    assert paths(cache.get_sorted_data("versions_count")) == ["/a", "/b"]


def test_unknown_sort_key_keeps_storage_order() -> None:
    cache = ModelCache(raw_data=[entry("/b", "b"), entry("/a", "a"), entry("/c", "c")])
    assert paths(cache.get_sorted_data("bogus", "desc")) == ["/b", "/a", "/c"]


def test_random_sort_is_deterministic_per_seed() -> None:
    items = [entry(f"/{n:02d}", str(n)) for n in range(30)]
    cache = ModelCache(raw_data=items)
    first = paths(cache.get_sorted_data("random", "asc", seed=7))
    again = paths(ModelCache(raw_data=list(items)).get_sorted_data("random", "asc", seed=7))
    other = paths(cache.get_sorted_data("random", "asc", seed=8))
    unseeded = paths(cache.get_sorted_data("random", "asc"))
    assert first == again
    assert sorted(first) == sorted(paths(items))
    assert first != other
    assert unseeded == paths(ModelCache(raw_data=list(items)).get_sorted_data("random", "asc", seed="random"))
    assert paths(cache.get_sorted_data("random", "desc", seed=7)) == first[::-1]


def test_sorted_views_are_memoised_until_resort() -> None:
    cache = ModelCache(raw_data=[entry("/b", "b"), entry("/a", "a")])
    first = cache.get_sorted_data("name", "desc")
    assert cache.get_sorted_data("name", "desc") is first
    assert cache.get_sorted_data("name", "asc") is not first


async def test_resort_picks_up_changes_and_resorts_the_last_key() -> None:
    cache = ModelCache(raw_data=[entry("/b", "b", size=2, folder="x")])
    stale = cache.get_sorted_data("size", "desc")
    cache.raw_data.append(versioned("/a", 3, 4))
    cache.raw_data[-1].update(size=9, folder="Y")
    assert cache.get_sorted_data("size", "desc") is stale
    await cache.resort()
    fresh = cache.get_sorted_data("size", "desc")
    assert fresh is not stale
    assert paths(fresh) == ["/a", "/b"]
    assert cache.folders == ["x", "Y"]
    assert cache.get_files_by_version_id(3) == [cache.raw_data[-1]]


def test_folders_are_deduplicated_and_sorted_case_insensitively() -> None:
    cache = ModelCache(
        raw_data=[entry(f"/{n}", folder=f) for n, f in enumerate(["b", "A", "a", "B", "b", "", "_x"])]
    )
    # Lower-cased, "_" sorts before letters (upper-cased it would sort after them).
    assert cache.folders == ["", "_x", "A", "a", "B", "b"]


# -- version indexes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("12", 12), (" 7 ", 7), (True, None), ("x1", None), (None, None), (1.5, None), ("²", None)],
)
def test_as_int(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


def test_version_indexes_group_files_by_version_and_versions_by_model() -> None:
    one = versioned("/a.safetensors", 10, 1, "v1")
    two = versioned("/b.safetensors", "11", "1", "v2")
    sibling = versioned("/c.safetensors", 10, 1, "v1")
    cache = ModelCache(raw_data=[one, two, sibling, entry("/plain"), entry("/bad", civitai="x")])
    assert cache.version_index == {10: sibling, 11: two}
    assert cache.version_files_index == {10: [one, sibling], 11: [two]}
    assert cache.model_id_index == {
        1: [
            {"versionId": 10, "name": "v1", "fileName": "c"},
            {"versionId": 11, "name": "v2", "fileName": "b"},
        ]
    }
    assert cache.get_versions_by_model_id("1") == cache.model_id_index[1]
    assert cache.get_files_by_version_id("10") == [one, sibling]


def test_version_lookups_return_copies_and_ignore_bad_ids() -> None:
    cache = ModelCache(raw_data=[versioned("/a", 10, 1)])
    versions = cache.get_versions_by_model_id(1)
    versions[0]["name"] = "changed"
    versions.clear()
    files = cache.get_files_by_version_id(10)
    files.clear()
    assert cache.model_id_index[1][0]["name"] == "v"
    assert len(cache.get_files_by_version_id(10)) == 1
    assert cache.get_versions_by_model_id("abc") == []
    assert cache.get_files_by_version_id(None) == []
    assert cache.get_versions_by_model_id(2) == []


def test_adding_the_same_file_twice_keeps_one_entry() -> None:
    cache = ModelCache()
    first = versioned("/a", 10, 1, "old")
    second = versioned("/a", 10, 1, "new")
    cache.add_to_version_index(first)
    cache.add_to_version_index(second)
    assert cache.version_files_index == {10: [second]}
    assert cache.model_id_index == {1: [{"versionId": 10, "name": "new", "fileName": "a"}]}


def test_version_without_model_id_is_indexed_by_version_only() -> None:
    cache = ModelCache(raw_data=[entry("/a", civitai={"id": 3})])
    assert list(cache.version_index) == [3]
    assert cache.model_id_index == {}
    cache.remove_from_version_index(cache.raw_data[0])
    assert cache.version_index == {}
    assert cache.version_files_index == {}


def test_removing_one_of_two_files_keeps_the_version() -> None:
    one = versioned("/a.safetensors", 10, 1)
    two = versioned("/b.safetensors", 10, 1)
    cache = ModelCache(raw_data=[one, two])
    cache.remove_from_version_index(two)
    assert cache.version_index == {10: one}
    assert cache.version_files_index == {10: [one]}
    assert cache.model_id_index == {1: [{"versionId": 10, "name": "v", "fileName": "a"}]}


def test_removing_the_last_file_drops_version_and_empty_model() -> None:
    keep = versioned("/k", 11, 1)
    gone = versioned("/g", 10, 1)
    cache = ModelCache(raw_data=[gone, keep])
    cache.remove_from_version_index(gone)
    assert cache.version_index == {11: keep}
    assert cache.model_id_index == {1: [{"versionId": 11, "name": "v", "fileName": "k"}]}
    cache.remove_from_version_index(keep)
    assert cache.version_index == {}
    assert cache.version_files_index == {}
    assert cache.model_id_index == {}


def test_removing_unindexed_items_changes_nothing() -> None:
    item = versioned("/a", 10, 1)
    cache = ModelCache(raw_data=[item])
    before = (dict(cache.version_index), dict(cache.model_id_index))
    cache.remove_from_version_index(entry("/x"))
    cache.remove_from_version_index(versioned("/x", 99, 1))
    assert (cache.version_index, cache.model_id_index) == before
    assert cache.version_files_index == {10: [item]}


def test_removing_a_version_whose_model_entry_is_gone() -> None:
    item = versioned("/a", 10, 1)
    cache = ModelCache(raw_data=[item])
    cache.model_id_index.clear()
    cache.remove_from_version_index(item)
    assert cache.version_index == {}
    assert cache.model_id_index == {}


# -- previews -------------------------------------------------------------------------------


def test_update_preview_url_sets_url_and_level() -> None:
    item = entry("/m/a.safetensors", preview_url="", preview_nsfw_level=0)
    cache = ModelCache(raw_data=[entry("/m/b.safetensors"), item])
    assert cache.update_preview_url("/m/a.safetensors", "/m/a.webp", 4) is True
    assert (item["preview_url"], item["preview_nsfw_level"]) == ("/m/a.webp", 4)
    assert "preview_url" not in cache.raw_data[0]
    assert cache.update_preview_url("/m/none.safetensors", "/x.webp", 1) is False


def test_update_preview_url_defaults_level_to_zero() -> None:
    item = entry("/m/a.safetensors", preview_nsfw_level=8)
    cache = ModelCache(raw_data=[item])
    assert cache.update_preview_url("/m/a.safetensors", "/m/a.png") is True
    assert item["preview_nsfw_level"] == 0


def test_clear_preview_by_path_blanks_every_match() -> None:
    shared = "/m/shared.webp"
    items = [
        entry("/m/a", preview_url=shared, preview_nsfw_level=2),
        entry("/m/b", preview_url=shared, preview_nsfw_level=1),
        entry("/m/c", preview_url="/m/other.webp", preview_nsfw_level=3),
        entry("/m/d"),
    ]
    cache = ModelCache(raw_data=items)
    assert cache.clear_preview_by_path(shared) == 2
    assert [(i.get("preview_url"), i.get("preview_nsfw_level")) for i in items] == [
        ("", 0),
        ("", 0),
        ("/m/other.webp", 3),
        (None, None),
    ]
    assert cache.clear_preview_by_path(shared) == 0
