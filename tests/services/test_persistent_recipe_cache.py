"""PersistentRecipeCache on real SQLite files: full-replace saves, upserts, stats, faults, concurrency."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from py.services.persistent_recipe_cache import PersistedRecipeData, PersistentRecipeCache
from py.utils.cache_paths import CachePaths
from tests.services.cache_fixtures import query, recipe_item


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "recipes.sqlite")


@pytest.fixture
def cache(db: str) -> PersistentRecipeCache:
    return PersistentRecipeCache("default", db, environ={})


@pytest.fixture(autouse=True)
def _fresh_instances() -> None:
    PersistentRecipeCache.clear_instances()
    yield
    PersistentRecipeCache.clear_instances()


def json_file(tmp_path: Path, name: str, size: int, mtime: int) -> str:
    path = tmp_path / f"{name}.recipe.json"
    path.write_bytes(b"{" + b" " * (size - 2) + b"}")
    os.utime(path, (mtime, mtime))
    return str(path)


# -- round trip -----------------------------------------------------------------------------


def test_round_trip_preserves_every_field(cache: PersistentRecipeCache, tmp_path: Path) -> None:
    one = recipe_item("r1", 1)
    two = recipe_item("r2", 2)
    paths = {
        "r1": json_file(tmp_path, "r1", 40, 1_600_000_000),
        "r2": json_file(tmp_path, "r2", 7, 1_600_000_100),
    }
    assert cache.save_cache([one, two], paths, {"111": "r1", 222: "r2"}) is True
    loaded = cache.load_cache()
    assert loaded == PersistedRecipeData(
        raw_data=[one, two],
        file_stats={paths["r1"]: (1_600_000_000.0, 40), paths["r2"]: (1_600_000_100.0, 7)},
        image_id_map={"111": "r1", "222": "r2"},
    )
    # Flags come back as bools (equal is not enough: True == 1).
    assert [{k: type(v) for k, v in r.items()} for r in loaded.raw_data] == [
        {k: type(v) for k, v in r.items()} for r in (one, two)
    ]


def test_flags_are_stored_as_zero_or_one(cache: PersistentRecipeCache, db: str) -> None:
    cache.save_cache([recipe_item("a", 1, favorite="yes", has_workflow=[]), recipe_item("b", 2, favorite=7)])
    assert query(db, "SELECT recipe_id, favorite, has_workflow FROM recipes ORDER BY rowid") == [
        ("a", 1, 0),
        ("b", 1, 1),
    ]


def test_minimal_recipe_gets_defaults_and_omits_empty_optionals(cache: PersistentRecipeCache) -> None:
    assert cache.save_cache([{"id": 7}]) is True
    assert cache.load_cache() == PersistedRecipeData(
        raw_data=[
            {
                "id": "7",
                "file_path": "",
                "title": "",
                "folder": "",
                "source_path": "",
                "base_model": "",
                "fingerprint": "",
                "created_date": 0.0,
                "modified": 0.0,
                "favorite": False,
                "repair_version": 0,
                "preview_nsfw_level": 0,
                "has_workflow": False,
                "loras": [],
                "gen_params": {},
            }
        ],
        file_stats={},
        image_id_map={},
    )


def test_none_json_fields_are_stored_as_empty(cache: PersistentRecipeCache, db: str) -> None:
    cache.save_cache([recipe_item("r", 1, loras=None, checkpoint=None, gen_params=None, tags=None)])
    assert query(db, "SELECT loras_json, checkpoint_json, gen_params_json, tags_json FROM recipes") == [
        ("[]", "{}", "{}", "[]")
    ]


@pytest.mark.parametrize(
    ("column", "stored", "key", "expected"),
    [
        ("loras_json", "[{broken", "loras", []),
        ("loras_json", '{"not": "a list"}', "loras", []),
        ("loras_json", "null", "loras", []),
        ("loras_json", "", "loras", []),
        ("gen_params_json", "[1, 2]", "gen_params", {}),
        ("gen_params_json", None, "gen_params", {}),
        ("tags_json", "oops", "tags", None),
        ("checkpoint_json", "[]", "checkpoint", None),
    ],
)
def test_corrupt_json_column_decodes_to_its_empty_default(
    cache: PersistentRecipeCache, db: str, column: str, stored: str | None, key: str, expected: object
) -> None:
    cache.save_cache([recipe_item("r", 1)])
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE recipes SET {column} = ?", (stored,))
    conn.close()
    recipe = cache.load_cache().raw_data[0]
    assert recipe.get(key) == expected
    assert (key in recipe) == (expected is not None)
    assert recipe["title"] == "Recipe 1"


def test_corrupt_image_id_map_loads_empty(cache: PersistentRecipeCache, db: str) -> None:
    cache.save_cache([recipe_item("r", 1)], image_id_map={"1": "r"})
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE cache_metadata SET value = '{oops'")
    conn.close()
    assert cache.load_cache().image_id_map == {}


# -- full replace and single rows -----------------------------------------------------------------


def test_save_replaces_everything_and_skips_recipes_without_id(cache: PersistentRecipeCache) -> None:
    cache.save_cache([recipe_item("a", 1), recipe_item("b", 2)])
    assert cache.save_cache([recipe_item("c", 3), {"title": "no id"}, {"id": ""}, {"id": None}]) is True
    assert [r["id"] for r in cache.load_cache().raw_data] == ["c"]
    assert cache.get_recipe_count() == 1


def test_save_keeps_the_image_id_map_unless_given(cache: PersistentRecipeCache) -> None:
    cache.save_cache([recipe_item("a", 1)], image_id_map={"9": "a"})
    cache.save_cache([recipe_item("a", 1)])
    assert cache.load_cache().image_id_map == {"9": "a"}
    cache.save_cache([recipe_item("a", 1)], image_id_map={})
    assert cache.load_cache().image_id_map == {}


def test_save_with_no_recipes_makes_load_return_none(cache: PersistentRecipeCache, db: str) -> None:
    cache.save_cache([recipe_item("a", 1)], image_id_map={"1": "a"})
    assert cache.save_cache([]) is True
    assert cache.load_cache() is None
    assert cache.get_recipe_count() == 0
    assert os.path.isfile(db)


def test_file_stats_come_from_the_json_files(cache: PersistentRecipeCache, tmp_path: Path) -> None:
    present = json_file(tmp_path, "p", 12, 1_500_000_000)
    missing = str(tmp_path / "gone.recipe.json")
    cache.save_cache(
        [recipe_item("p", 1), recipe_item("m", 2), recipe_item("n", 3)], {"p": present, "m": missing}
    )
    assert cache.get_file_stats() == {present: (1_500_000_000.0, 12), missing: (None, None)}
    assert cache.load_cache().file_stats == cache.get_file_stats()


def test_json_paths_match_int_ids(cache: PersistentRecipeCache, db: str, tmp_path: Path) -> None:
    path = json_file(tmp_path, "five", 3, 1_000)
    cache.save_cache([recipe_item(5, 1)], {5: path})
    assert query(db, "SELECT recipe_id, json_path, file_size FROM recipes") == [("5", path, 3)]


def test_update_recipe_inserts_or_replaces_one_row(cache: PersistentRecipeCache, tmp_path: Path) -> None:
    cache.save_cache([recipe_item("a", 1), recipe_item("b", 2)])
    path = json_file(tmp_path, "b", 5, 2_000)
    changed = recipe_item("b", 9)
    assert cache.update_recipe(changed, path) is True
    assert cache.update_recipe(recipe_item("c", 3)) is True
    loaded = cache.load_cache()
    assert sorted(loaded.raw_data, key=lambda r: r["id"]) == [
        recipe_item("a", 1),
        changed,
        recipe_item("c", 3),
    ]
    assert loaded.file_stats == {path: (2_000.0, 5)}
    assert cache.get_indexed_recipe_ids() == {"a", "b", "c"}


def test_update_recipe_without_id_is_refused(cache: PersistentRecipeCache, db: str) -> None:
    assert cache.update_recipe({"title": "x"}) is False
    assert cache.update_recipe({"id": ""}) is False
    assert not os.path.exists(db)


def test_remove_recipe(cache: PersistentRecipeCache) -> None:
    cache.save_cache([recipe_item("1", 1), recipe_item("2", 2)])
    assert cache.remove_recipe(1) is True
    assert cache.get_indexed_recipe_ids() == {"2"}
    assert cache.remove_recipe("missing") is True
    assert cache.get_recipe_count() == 1


def test_save_image_id_map_stores_strings(cache: PersistentRecipeCache) -> None:
    assert cache.save_image_id_map({1: 2, "3": "x"}) is True
    assert cache.load_cache() is None  # no recipes yet
    cache.update_recipe(recipe_item("x", 1))
    assert cache.load_cache().image_id_map == {"1": "2", "3": "x"}


def test_schema_has_the_documented_tables_and_indexes(cache: PersistentRecipeCache, db: str) -> None:
    cache.save_cache([recipe_item("a", 1)])
    columns = [row[1] for row in query(db, "PRAGMA table_info(recipes)")]
    assert columns == [
        "recipe_id",
        "json_path",
        "file_path",
        "title",
        "folder",
        "source_path",
        "base_model",
        "fingerprint",
        "created_date",
        "modified",
        "favorite",
        "repair_version",
        "preview_nsfw_level",
        "has_workflow",
        "file_mtime",
        "file_size",
        "loras_json",
        "checkpoint_json",
        "gen_params_json",
        "tags_json",
    ]
    indexes = {row[0] for row in query(db, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_recipes_json_path", "idx_recipes_fingerprint"} <= indexes
    assert query(db, "PRAGMA journal_mode") == [("wal",)]


# -- faults -----------------------------------------------------------------------------------


def test_missing_file_reads_neutral_values_and_creates_nothing(tmp_path: Path) -> None:
    cache = PersistentRecipeCache(db_path=tmp_path / "no" / "r.sqlite", environ={})
    assert cache.load_cache() is None
    assert cache.get_file_stats() == {}
    assert cache.get_indexed_recipe_ids() == set()
    assert cache.get_recipe_count() == 0
    assert not (tmp_path / "no").exists()
    assert cache.update_recipe(recipe_item("a", 1)) is True
    assert cache.get_recipe_count() == 1


@pytest.mark.parametrize("content", [b"garbage" * 50, b"SQLite format 3\x00" + b"\x00" * 84])
def test_corrupt_file_reads_neutral_values_and_is_kept_aside_on_save(
    cache: PersistentRecipeCache, db: str, content: bytes
) -> None:
    Path(db).write_bytes(content)
    assert cache.load_cache() is None
    assert cache.get_file_stats() == {}
    assert cache.get_indexed_recipe_ids() == set()
    assert cache.get_recipe_count() == 0
    assert Path(db).read_bytes() == content
    assert cache.save_cache([recipe_item("a", 1)]) is True
    assert Path(db + ".corrupt").read_bytes() == content
    assert [r["id"] for r in cache.load_cache().raw_data] == ["a"]


def test_empty_file_is_an_empty_database(cache: PersistentRecipeCache, db: str) -> None:
    Path(db).write_bytes(b"")
    assert cache.load_cache() is None
    assert cache.save_cache([recipe_item("a", 1)]) is True
    assert not os.path.exists(db + ".corrupt")
    assert cache.get_recipe_count() == 1


def test_failures_are_logged_with_the_file_and_the_cause(
    cache: PersistentRecipeCache, db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Path(db).write_bytes(b"garbage" * 50)
    caplog.set_level(logging.WARNING, logger="py.services")
    assert cache.get_recipe_count() == 0
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert PersistentRecipeCache(db_path=blocker / "r.sqlite", environ={}).remove_recipe("a") is False
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Could not read recipe cache {db}: {db} is not a database"),
        ("ERROR", f"Could not save recipe cache {blocker}/r.sqlite: [Errno 17] File exists: '{blocker}'"),
    ]


def test_unwritable_location_fails_softly(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("file")
    cache = PersistentRecipeCache(db_path=blocker / "r.sqlite", environ={})
    assert cache.save_cache([recipe_item("a", 1)]) is False
    assert cache.update_recipe(recipe_item("a", 1)) is False
    assert cache.remove_recipe("a") is False
    assert cache.save_image_id_map({"1": "a"}) is False
    assert cache.load_cache() is None
    assert blocker.read_text() == "file"


def test_older_recipe_table_gains_missing_columns(cache: PersistentRecipeCache, db: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE recipes (recipe_id TEXT PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('old', 'Old')")
    conn.close()
    assert cache.load_cache() is None  # unreadable with today's columns, left untouched
    assert query(db, "SELECT * FROM recipes") == [("old", "Old")]
    assert cache.update_recipe(recipe_item("new", 1)) is True
    loaded = cache.load_cache()
    assert [r["id"] for r in loaded.raw_data] == ["old", "new"]
    assert loaded.raw_data[0]["title"] == "Old"
    assert loaded.raw_data[0]["loras"] == []


# -- configuration ----------------------------------------------------------------------------


def test_disabled_by_environment_flag(tmp_path: Path) -> None:
    cache = PersistentRecipeCache(
        cache_paths=CachePaths(tmp_path / "s"), environ={"LORA_MANAGER_DISABLE_PERSISTENT_CACHE": "1"}
    )
    assert (cache.enabled, cache.db_path, cache.last_changes) == (False, None, 0)
    assert cache.save_cache([recipe_item("a", 1)]) is False
    assert cache.update_recipe(recipe_item("a", 1)) is False
    assert cache.load_cache() is None
    assert cache.get_recipe_count() == 0
    assert cache.get_indexed_recipe_ids() == set()
    assert not (tmp_path / "s").exists()


def test_settings_dir_comes_from_the_injected_environment(tmp_path: Path) -> None:
    cache = PersistentRecipeCache("lib", environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert cache.db_path == os.path.join(tmp_path, "ComfyUI-LoRA-Manager", "cache", "recipe", "lib.sqlite")


def test_process_environment_is_read_at_construction(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LORA_MANAGER_DISABLE_PERSISTENT_CACHE", "1")
    assert PersistentRecipeCache(db_path=tmp_path / "x.sqlite").enabled is False
    monkeypatch.setenv("LORA_MANAGER_DISABLE_PERSISTENT_CACHE", "0")
    monkeypatch.setenv("LORA_MANAGER_RECIPE_CACHE_DB", str(tmp_path / "env.sqlite"))
    cache = PersistentRecipeCache()
    assert (cache.enabled, cache.db_path) == (True, str(tmp_path / "env.sqlite"))


def test_paths_from_settings_and_environment(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path / "s")
    assert PersistentRecipeCache("Lib 1", cache_paths=paths, environ={}).db_path == os.path.join(
        tmp_path, "s", "cache", "recipe", "Lib_1.sqlite"
    )
    env = {"LORA_MANAGER_RECIPE_CACHE_DB": str(tmp_path / "env.sqlite")}
    assert PersistentRecipeCache(cache_paths=paths, environ=env).db_path == str(tmp_path / "env.sqlite")
    assert PersistentRecipeCache("", cache_paths=paths, environ={}).library_name == "default"


def test_recipe_cache_migrates_the_root_level_legacy_file(tmp_path: Path) -> None:
    source = PersistentRecipeCache(db_path=tmp_path / "old.sqlite", environ={})
    source.save_cache([recipe_item("a", 1)])
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    legacy = tmp_path / "s" / "recipe_cache.sqlite"
    legacy.parent.mkdir()
    legacy.write_bytes((tmp_path / "old.sqlite").read_bytes())
    cache = PersistentRecipeCache(cache_paths=CachePaths(tmp_path / "s"), environ={})
    assert not legacy.exists()
    assert [r["id"] for r in cache.load_cache().raw_data] == ["a"]


def test_per_library_instances(tmp_path: Path) -> None:
    kwargs = {"cache_paths": CachePaths(tmp_path), "environ": {}}
    default = PersistentRecipeCache.get_default(**kwargs)
    assert PersistentRecipeCache.get_default(None) is default
    other = PersistentRecipeCache.get_default("b", **kwargs)
    assert other is not default
    assert other.library_name == "b"
    assert other.db_path == os.path.join(tmp_path, "cache", "recipe", "b.sqlite")
    PersistentRecipeCache.clear_instances()
    assert PersistentRecipeCache.get_default(**kwargs) is not default


# -- concurrency -----------------------------------------------------------------------------


def _consistent(recipe: dict) -> bool:
    n = int(recipe["id"].split("-")[1])
    return recipe == recipe_item(recipe["id"], n)


def test_threads_write_and_read_one_cache(cache: PersistentRecipeCache) -> None:
    writers, readers = 16, 4
    barrier = threading.Barrier(writers + readers)
    outcomes: list[bool] = []
    reads: list[PersistedRecipeData | None] = []
    errors: list[BaseException] = []

    def write(n: int) -> None:
        barrier.wait()
        outcomes.append(cache.update_recipe(recipe_item(f"r-{n}", n)))

    def read() -> None:
        barrier.wait()
        try:
            for _ in range(10):
                reads.append(cache.load_cache())
                cache.get_recipe_count()
        except BaseException as exc:  # surfaced below with its message
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads += [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outcomes == [True] * writers
    assert cache.get_recipe_count() == writers
    assert cache.get_indexed_recipe_ids() == {f"r-{n}" for n in range(writers)}
    assert len(reads) == readers * 10
    for data in reads:
        for recipe in data.raw_data if data else []:
            assert _consistent(recipe), recipe


def test_separate_instances_on_one_file_lose_no_write(db: str) -> None:
    caches = [PersistentRecipeCache(db_path=db, environ={}) for _ in range(4)]
    barrier = threading.Barrier(20)
    outcomes: list[bool] = []

    def write(n: int) -> None:
        barrier.wait()
        outcomes.append(caches[n % 4].update_recipe(recipe_item(f"r-{n}", n)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [True] * 20
    assert caches[0].get_recipe_count() == 20
    assert all(_consistent(r) for r in caches[3].load_cache().raw_data)


async def test_tasks_write_and_read_one_cache(cache: PersistentRecipeCache) -> None:
    writers = 12

    async def write(n: int) -> bool:
        await asyncio.sleep(0)
        return await asyncio.to_thread(cache.update_recipe, recipe_item(f"r-{n}", n))

    async def read() -> list[dict]:
        seen: list[dict] = []
        for _ in range(5):
            data = await asyncio.to_thread(cache.load_cache)
            seen.extend(data.raw_data if data else [])
            await asyncio.sleep(0)
        return seen

    results = await asyncio.gather(*(write(n) for n in range(writers)), *(read() for _ in range(3)))
    assert results[:writers] == [True] * writers
    for seen in results[writers:]:
        assert all(_consistent(r) for r in seen)
    assert cache.get_recipe_count() == writers
    assert sorted(r["id"] for r in cache.load_cache().raw_data) == sorted(f"r-{n}" for n in range(writers))
