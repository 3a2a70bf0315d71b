"""Recipe flow end to end: recipe files on disk, RecipeCache in memory and PersistentRecipeCache in SQLite.

Every test writes through the real caches and asserts what a fresh reader gets back from the file.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from py.services.model_lifecycle_service import ModelLifecycleService
from py.services.persistent_recipe_cache import PersistentRecipeCache
from py.services.recipe_cache import RecipeCache
from py.services.sidecar_store import SidecarStore
from py.utils.utils import calculate_recipe_fingerprint
from tests.services.conftest import SHA_A, SHA_B, build_library

pytestmark = pytest.mark.integration


def recipe(recipe_id: str, title: str, loras: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": recipe_id,
        "file_path": f"/images/{recipe_id}.png",
        "title": title,
        "folder": extra.pop("folder", ""),
        "base_model": "SDXL 1.0",
        "created_date": extra.pop("created_date", 1700000000.0),
        "modified": extra.pop("modified", 1700000000.0),
        "loras": loras,
        "gen_params": extra.pop("gen_params", {}),
        **extra,
    }


class RecipeStore:
    """What a recipe scanner does on save: write the recipe file, then both caches."""

    def __init__(self, directory: Path, db: Path) -> None:
        self.directory = directory
        self.directory.mkdir(exist_ok=True)
        self.db = db
        self.persistent = PersistentRecipeCache(db_path=db, environ={})
        self.cache = RecipeCache()

    def json_path(self, recipe_id: str) -> str:
        return (self.directory / f"{recipe_id}.recipe.json").as_posix()

    async def save(self, data: dict[str, Any]) -> dict[str, Any]:
        stored = {**data, "fingerprint": calculate_recipe_fingerprint(data["loras"])}
        path = self.json_path(stored["id"])
        Path(path).write_text(json.dumps(stored), encoding="utf-8")
        assert self.persistent.update_recipe(stored, path)
        if not await self.cache.replace_recipe(stored["id"], stored):
            await self.cache.add_recipe(stored, resort=True)
        return stored

    def reopen(self) -> PersistentRecipeCache:
        return PersistentRecipeCache(db_path=self.db, environ={})


@pytest.fixture
def store(tmp_path: Path) -> RecipeStore:
    return RecipeStore(tmp_path / "recipes", tmp_path / "recipe_cache.sqlite")


LORAS = [
    {"hash": SHA_A.upper(), "file_name": "a", "strength": 0.8, "modelVersionId": 1001},
    {"hash": SHA_B, "file_name": "b.v1", "weight": "0.55", "modelVersionId": 1002},
    {"modelVersionId": 777, "file_name": "remote-only"},
    {"hash": "c" * 64, "file_name": "skipped", "exclude": True},
]


async def test_saved_recipe_is_read_back_from_sqlite_by_a_fresh_cache(store: RecipeStore) -> None:
    saved = await store.save(recipe("r1", "Sunset", LORAS, tags=["warm"], checkpoint={"name": "xl"}))

    loaded = store.reopen().load_cache()

    assert loaded is not None
    assert loaded.raw_data == [
        {
            "id": "r1",
            "file_path": "/images/r1.png",
            "title": "Sunset",
            "folder": "",
            "source_path": "",
            "base_model": "SDXL 1.0",
            "fingerprint": f"777:1.0|{SHA_A}:0.8|{SHA_B}:0.55",
            "created_date": 1700000000.0,
            "modified": 1700000000.0,
            "favorite": False,
            "repair_version": 0,
            "preview_nsfw_level": 0,
            "has_workflow": False,
            "loras": LORAS,
            "checkpoint": {"name": "xl"},
            "gen_params": {},
            "tags": ["warm"],
        }
    ]
    stat = Path(store.json_path("r1")).stat()
    assert loaded.file_stats == {store.json_path("r1"): (stat.st_mtime, stat.st_size)}
    assert saved["fingerprint"] == loaded.raw_data[0]["fingerprint"]
    rebuilt = RecipeCache(raw_data=loaded.raw_data)
    assert rebuilt.get_recipe(1) is None
    assert rebuilt.get_recipe("r1") == loaded.raw_data[0]


async def test_updated_recipe_replaces_the_stored_row_and_its_fingerprint(store: RecipeStore) -> None:
    await store.save(recipe("r1", "Draft", LORAS[:2]))
    await store.save(recipe("r2", "Other", LORAS[2:3]))
    changed = [dict(LORAS[0], strength=1.25), LORAS[1]]
    await store.save(recipe("r1", "Final", changed, modified=1800000000.0))

    loaded = store.reopen().load_cache()

    assert [r["id"] for r in loaded.raw_data] == ["r2", "r1"]
    final = next(r for r in loaded.raw_data if r["id"] == "r1")
    assert final["title"] == "Final"
    assert final["loras"] == changed
    assert final["fingerprint"] == f"{SHA_A}:1.25|{SHA_B}:0.55"
    assert final["modified"] == 1800000000.0
    assert store.persistent.get_recipe_count() == 2
    assert [r["title"] for r in store.cache.raw_data] == ["Final", "Other"]
    await store.cache.resort()
    assert [r["id"] for r in store.cache.sorted_by_date] == ["r1", "r2"]


async def test_deleted_recipe_leaves_sqlite_and_the_image_map(store: RecipeStore) -> None:
    for index in range(3):
        await store.save(recipe(f"r{index}", f"Recipe {index}", LORAS[:1]))
    store.cache.image_id_map = {"9001": "r0", "9002": "r1", "9003": "r1"}
    assert store.persistent.save_image_id_map(store.cache.image_id_map)

    removed = await store.cache.remove_recipe("r1")
    assert store.persistent.remove_recipe("r1")
    assert store.persistent.save_image_id_map(store.cache.image_id_map)

    assert removed["title"] == "Recipe 1"
    reader = store.reopen()
    loaded = reader.load_cache()
    assert [r["id"] for r in loaded.raw_data] == ["r0", "r2"]
    assert loaded.image_id_map == {"9001": "r0"}
    assert reader.get_indexed_recipe_ids() == {"r0", "r2"}
    assert set(loaded.file_stats) == {store.json_path("r0"), store.json_path("r2")}
    assert await store.cache.remove_recipe("r1") is None
    assert store.reopen().get_recipe_count() == 2


async def test_loras_of_a_stored_recipe_resolve_to_library_files_through_lifecycle_changes(
    tmp_path: Path, store: RecipeStore
) -> None:
    fx = await build_library(tmp_path)
    service = ModelLifecycleService(library=fx.library, metadata=SidecarStore())
    await store.save(recipe("r1", "Uses a and b", LORAS))

    def resolved() -> dict[str, str | None]:
        stored = store.reopen().load_cache().raw_data[0]
        return {
            lora["file_name"]: fx.rel(path)
            if (path := fx.library.hash_index.get_path(lora.get("hash")))
            else None
            for lora in stored["loras"]
            if not lora.get("exclude")
        }

    assert resolved() == {
        "a": "lib/sub/a.safetensors",
        "b.v1": "lib/sub/b.v1.safetensors",
        "remote-only": None,
    }
    await service.rename_model(file_path=fx.paths["b"], new_file_name="b.v2")
    assert resolved()["b.v1"] == "lib/sub/b.v2.safetensors"
    assert (tmp_path / "lib/sub/b.v2.safetensors").is_file()
    # Deleting one copy of a keeps the recipe resolvable through the other; deleting both does not.
    await service.delete_model(fx.paths["c"])
    assert resolved()["a"] == "lib/a.safetensors"
    await service.delete_model(fx.paths["a"])
    assert resolved()["a"] is None


async def test_generation_parameters_round_trip_and_a_corrupt_column_reads_as_empty(
    store: RecipeStore,
) -> None:
    params = {
        "prompt": "a café at dusk, 夕焼け",
        "negative_prompt": "",
        "steps": 30,
        "cfg_scale": 6.5,
        "seed": 2**40 + 1,
        "sampler": "DPM++ 2M",
        "size": [1024, 768],
        "hires": None,
    }
    await store.save(recipe("r1", "Params", LORAS[:1], gen_params=params))
    await store.save(recipe("r2", "Broken", LORAS[:1], gen_params={"steps": 5}))
    with sqlite3.connect(store.db) as conn:
        conn.execute("UPDATE recipes SET gen_params_json = '{\"steps\": ' WHERE recipe_id = 'r2'")

    loaded = {r["id"]: r for r in store.reopen().load_cache().raw_data}

    assert loaded["r1"]["gen_params"] == params
    assert loaded["r2"]["gen_params"] == {}
    assert loaded["r2"]["loras"] == LORAS[:1]
    assert loaded["r2"]["title"] == "Broken"


async def test_concurrent_readers_all_see_the_same_saved_recipes(store: RecipeStore) -> None:
    for index in range(20):
        await store.save(recipe(f"r{index:02d}", f"Recipe {index}", LORAS[index % 3 : index % 3 + 2]))
    expected = store.reopen().load_cache().raw_data

    results = await asyncio.gather(*(asyncio.to_thread(store.reopen().load_cache) for _ in range(8)))

    assert [result.raw_data for result in results] == [expected] * 8
    assert len(expected) == 20


def test_readers_during_writes_see_whole_recipes_and_never_lose_one(store: RecipeStore) -> None:
    total = 40
    seen_counts: list[list[int]] = []
    problems: list[str] = []
    written: list[bool] = []
    done = threading.Event()

    def writer() -> None:
        for index in range(total):
            loras = [dict(LORAS[0], strength=index / 10), LORAS[1]]
            data = {**recipe(f"r{index:02d}", f"R{index}", loras)}
            data["fingerprint"] = calculate_recipe_fingerprint(loras)
            written.append(store.persistent.update_recipe(data, None))
        done.set()

    def reader() -> None:
        counts: list[int] = []
        cache = store.reopen()
        while True:
            finished = done.is_set()
            loaded = cache.load_cache()
            rows = [] if loaded is None else loaded.raw_data
            counts.append(len(rows))
            for row in rows:
                # A row is never half-written: its stored fingerprint matches its stored LoRAs.
                if row["fingerprint"] != calculate_recipe_fingerprint(row["loras"]):
                    problems.append(row["id"])
            if finished:
                break
        seen_counts.append(counts)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert written == [True] * total
    assert problems == []
    assert len(seen_counts) == 3
    for counts in seen_counts:
        assert counts == sorted(counts)
        assert counts[-1] == total
    assert store.reopen().get_indexed_recipe_ids() == {f"r{index:02d}" for index in range(total)}


async def test_recipe_list_rebuilt_from_sqlite_is_sorted_and_foldered(store: RecipeStore) -> None:
    await store.save(recipe("r1", "Recipe 10", LORAS[:1], folder="portraits/night", modified=3.0))
    await store.save(recipe("r2", "recipe 9", LORAS[:1], folder="landscapes", modified=1.0))
    await store.save(recipe("r3", "Alpha", LORAS[:1], folder="portraits", modified=2.0))

    cache = RecipeCache(raw_data=store.reopen().load_cache().raw_data)
    await cache.resort()

    assert [r["title"] for r in cache.sorted_by_name] == ["Alpha", "recipe 9", "Recipe 10"]
    assert [r["id"] for r in cache.sorted_by_date] == ["r1", "r3", "r2"]
    assert cache.folders == ["landscapes", "portraits", "portraits/night"]
    assert cache.folder_tree == {"landscapes": {}, "portraits": {"night": {}}}


async def test_recipe_files_parsed_from_disk_are_found_as_duplicates_by_fingerprint(
    store: RecipeStore,
) -> None:
    # Same LoRA set, written differently: order, case, strength as text, an excluded extra.
    variants = {
        "r1": [{"hash": SHA_A, "strength": 0.8}, {"hash": SHA_B, "strength": 1}],
        "r2": [{"hash": SHA_B.upper(), "weight": "1.0"}, {"hash": SHA_A.upper(), "strength": "0.80"}],
        "r3": [{"hash": SHA_A, "strength": 0.8}, {"hash": SHA_B}, {"hash": "d" * 64, "exclude": True}],
        "r4": [{"hash": SHA_A, "strength": 0.7}, {"hash": SHA_B, "strength": 1}],
    }
    for recipe_id, loras in variants.items():
        Path(store.json_path(recipe_id)).write_text(json.dumps(recipe(recipe_id, recipe_id, loras)), "utf-8")
    # A scan: parse each recipe file and save what it holds.
    for path in sorted(store.directory.glob("*.recipe.json")):
        await store.save(json.loads(path.read_text(encoding="utf-8")))

    groups: dict[str, list[str]] = {}
    for row in store.reopen().load_cache().raw_data:
        groups.setdefault(row["fingerprint"], []).append(row["id"])

    assert groups == {
        f"{SHA_A}:0.8|{SHA_B}:1.0": ["r1", "r2", "r3"],
        f"{SHA_A}:0.7|{SHA_B}:1.0": ["r4"],
    }
    with sqlite3.connect(store.db) as conn:
        plan = " ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT recipe_id FROM recipes WHERE fingerprint = ?", ("x",)
            )
        )
    assert "idx_recipes_fingerprint" in plan
