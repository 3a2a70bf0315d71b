"""PersistentModelCache on real SQLite files: round trips, diffing saves, partitions and faults."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from py.services.persistent_model_cache import (
    MODEL_COLUMNS,
    PersistedCacheData,
    PersistentModelCache,
    get_persistent_cache,
)
from py.utils.cache_paths import CachePaths
from tests.services.cache_fixtures import install_audit, model_item, query, read_audit

SIDE_TABLES = ("models", "model_tags", "hash_index", "autov3_index", "excluded_models")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "models.sqlite")


@pytest.fixture
def cache(db: str) -> PersistentModelCache:
    return PersistentModelCache("default", db, environ={})


@pytest.fixture(autouse=True)
def _fresh_instances() -> None:
    PersistentModelCache.clear_instances()
    yield
    PersistentModelCache.clear_instances()


def hashes_of(*items: dict) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for item in items:
        index.setdefault(item["sha256"], []).append(item["file_path"])
    return index


# -- round trip -------------------------------------------------------------------------


def test_round_trip_preserves_every_field(cache: PersistentModelCache) -> None:
    one = model_item("/lib/one.safetensors", 1)
    two = model_item("/lib/two.safetensors", 2, autov3="", tags=[])
    assert cache.save_cache("lora", [one, two], hashes_of(one, two), ["/lib/ex.safetensors"]) is True
    loaded = cache.load_cache("lora")
    assert loaded == PersistedCacheData(
        raw_data=[one, two],
        hash_rows=[(one["sha256"], one["file_path"]), (two["sha256"], two["file_path"])],
        excluded_models=["/lib/ex.safetensors"],
        autov3_hash_rows=[(one["autov3"], one["file_path"])],
    )
    # Flags come back as bools, numbers as numbers: equal is not enough (True == 1).
    assert [{k: type(v) for k, v in item.items()} for item in loaded.raw_data] == [
        {k: type(v) for k, v in item.items()} for item in (one, two)
    ]
    # Every stored column is covered by the fixture with a non-default value.
    assert {c.name for c in MODEL_COLUMNS} - set(one) == {
        "civitai_id",
        "civitai_model_id",
        "civitai_model_type",
        "civitai_name",
        "civitai_creator_username",
        "trained_words",
    }


def test_first_save_counts_every_row_and_a_second_identical_save_none(cache: PersistentModelCache) -> None:
    one = model_item("/lib/one.safetensors", 1)
    two = model_item("/lib/two.safetensors", 2)
    args = ("lora", [one, two], hashes_of(one, two), ["/lib/ex.safetensors"])
    assert cache.save_cache(*args) is True
    # 2 models + 6 tags + 2 hashes + 2 autov3 + 1 exclusion
    assert cache.last_changes == 13
    assert cache.save_cache(*args) is True
    assert cache.last_changes == 0


def test_identical_save_fires_no_trigger(cache: PersistentModelCache, db: str) -> None:
    one = model_item("/lib/one.safetensors", 1)
    args = ("lora", [one], hashes_of(one), ["/x"])
    cache.save_cache(*args)
    install_audit(db, SIDE_TABLES)
    cache.save_cache(*args)
    assert read_audit(db) == []


def test_changed_field_updates_exactly_one_row(cache: PersistentModelCache, db: str) -> None:
    one = model_item("/lib/one.safetensors", 1)
    two = model_item("/lib/two.safetensors", 2)
    cache.save_cache("lora", [one, two], hashes_of(one, two), [])
    install_audit(db, SIDE_TABLES)
    cache.save_cache("lora", [one, {**two, "favorite": False}], hashes_of(one, two), [])
    assert read_audit(db) == [("models", "UPDATE")]
    assert query(db, "SELECT file_path, favorite FROM models ORDER BY rowid") == [
        ("/lib/one.safetensors", 1),
        ("/lib/two.safetensors", 0),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"size": 5},
        {"notes": "other"},
        {"civitai": {"id": 1}},
        {"last_checked_at": 2.0},
        {"hf_url": ""},
        {"autov3": None},
    ],
)
def test_any_column_change_is_written(cache: PersistentModelCache, change: dict) -> None:
    one = model_item("/lib/one.safetensors", 1)
    cache.save_cache("lora", [one], {}, [])
    changed = {**one, **change}
    cache.save_cache("lora", [changed], {}, [])
    # Clearing autov3 also drops its autov3_index row; a NULL autov3 loads as no key at all.
    assert cache.last_changes == (2 if change == {"autov3": None} else 1)
    expected = {key: value for key, value in changed.items() if (key, value) != ("autov3", None)}
    assert cache.load_cache("lora").raw_data == [expected]


def test_removed_entries_lose_their_rows(cache: PersistentModelCache, db: str) -> None:
    one = model_item("/lib/one.safetensors", 1)
    two = model_item("/lib/two.safetensors", 2)
    cache.save_cache("lora", [one, two], hashes_of(one, two), ["/lib/two.safetensors"])
    cache.save_cache("lora", [one], hashes_of(one), [])
    # 1 model + 3 tags + 1 hash + 1 autov3 + 1 exclusion
    assert cache.last_changes == 7
    for table in SIDE_TABLES:
        paths = {row[0] for row in query(db, f"SELECT file_path FROM {table}")}
        assert paths <= {"/lib/one.safetensors"}, table
    assert cache.load_cache("lora").raw_data == [one]


def test_tag_changes_rewrite_only_that_files_tags(cache: PersistentModelCache, db: str) -> None:
    one = model_item("/lib/one.safetensors", 1, tags=["a", "b"])
    two = model_item("/lib/two.safetensors", 2, tags=["c"])
    cache.save_cache("lora", [one, two], {}, [])
    install_audit(db, SIDE_TABLES)
    cache.save_cache("lora", [{**one, "tags": ["b", "a"]}, two], {}, [])
    assert sorted(read_audit(db)) == [("model_tags", "DELETE")] * 2 + [("model_tags", "INSERT")] * 2
    assert [item["tags"] for item in cache.load_cache("lora").raw_data] == [["b", "a"], ["c"]]


def test_duplicate_and_non_string_tags_are_stored_once_as_text(cache: PersistentModelCache) -> None:
    cache.save_cache("lora", [model_item("/a", 1, tags=["x", 3, "x"])], {}, [])
    assert cache.load_cache("lora").raw_data[0]["tags"] == ["x", "3"]


def test_model_type_partitions_never_leak(cache: PersistentModelCache, db: str) -> None:
    lora = model_item("/lib/shared.safetensors", 1)
    ckpt = model_item("/lib/shared.safetensors", 2)
    cache.save_cache("lora", [lora], hashes_of(lora), ["/lib/l"])
    cache.save_cache("checkpoint", [ckpt], hashes_of(ckpt), ["/lib/c"])
    assert cache.last_changes == 7
    assert cache.load_cache("lora").raw_data == [lora]
    assert cache.load_cache("checkpoint").raw_data == [ckpt]
    cache.save_cache("lora", [], {}, [])
    assert cache.load_cache("lora") is None
    loaded = cache.load_cache("checkpoint")
    assert loaded.raw_data == [ckpt]
    assert loaded.hash_rows == [(ckpt["sha256"], ckpt["file_path"])]
    assert loaded.excluded_models == ["/lib/c"]
    assert loaded.autov3_hash_rows == [(ckpt["autov3"], ckpt["file_path"])]
    assert {row[0] for row in query(db, "SELECT DISTINCT model_type FROM models")} == {"checkpoint"}
    assert cache.load_cache("embedding") is None


def test_entries_without_path_are_skipped(cache: PersistentModelCache, db: str) -> None:
    cache.save_cache("lora", [model_item("", 1), {"file_name": "x"}, model_item("/a", 2)], {}, [])
    assert query(db, "SELECT file_path FROM models") == [("/a",)]


def test_minimal_entry_gets_defaults(cache: PersistentModelCache) -> None:
    cache.save_cache("lora", [{"file_path": "/m/a.safetensors"}], {}, [])
    assert cache.load_cache("lora").raw_data == [
        {
            "file_path": "/m/a.safetensors",
            "file_name": "",
            "model_name": "",
            "folder": "",
            "size": 0,
            "modified": 0.0,
            "sha256": "",
            "base_model": "",
            "preview_url": "",
            "preview_nsfw_level": 0,
            "from_civitai": True,
            "favorite": False,
            "notes": "",
            "usage_tips": "",
            "metadata_source": None,
            "license_flags": 127,
            "civitai_deleted": False,
            "skip_metadata_refresh": False,
            "exclude": False,
            "db_checked": False,
            "last_checked_at": 0.0,
            "hash_status": "completed",
            "hf_url": "",
            "tags": [],
        }
    ]


def test_autov3_null_means_unchecked_and_empty_means_unavailable(cache: PersistentModelCache) -> None:
    items = [
        model_item("/a", 1, autov3=None),
        model_item("/b", 2, autov3=""),
        model_item("/c", 3),
        model_item("/d", 4, autov3=None, sha256=""),
    ]
    cache.save_cache("lora", items, {}, [])
    loaded = cache.load_cache("lora").raw_data
    assert ["autov3" in item for item in loaded] == [False, True, True, False]
    assert loaded[1]["autov3"] == ""
    assert cache.get_models_missing_autov3("lora") == ["/a"]
    assert cache.get_models_missing_autov3("checkpoint") == []


@pytest.mark.parametrize(
    ("civitai", "expected"),
    [
        (None, None),
        ({}, None),
        ("not a dict", None),
        ({"images": [1]}, None),
        ({"trainedWords": []}, {"trainedWords": []}),
        ({"creator": {"username": "me"}}, {"creator": {"username": "me"}}),
        ({"creator": "me", "model": "x", "id": 5}, {"id": 5}),
        ({"model": {"type": "LoCon"}}, {"model": {"type": "LoCon"}}),
        ({"modelId": 7, "name": "n"}, {"modelId": 7, "name": "n"}),
    ],
)
def test_civitai_dict_is_rebuilt_only_when_something_was_stored(
    cache: PersistentModelCache, civitai: object, expected: dict | None
) -> None:
    item = {"file_path": "/a", "civitai": civitai}
    cache.save_cache("lora", [item], {}, [])
    assert cache.load_cache("lora").raw_data[0].get("civitai") == expected


def test_unreadable_trained_words_load_as_empty_list(cache: PersistentModelCache, db: str) -> None:
    cache.save_cache("lora", [model_item("/a", 1)], {}, [])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE models SET trained_words = '[broken'")
    assert cache.load_cache("lora").raw_data[0]["civitai"]["trainedWords"] == []


def test_a_file_created_before_its_tables_loads_as_no_cache_without_a_warning(
    cache: PersistentModelCache, db: str, caplog: pytest.LogCaptureFixture
) -> None:
    # What a reader sees while another cache's first write has created the file but not committed.
    sqlite3.connect(db).close()
    with caplog.at_level(logging.WARNING):
        assert cache.load_cache("lora") is None
    assert caplog.records == []


def test_hash_rows_fall_back_to_model_rows(cache: PersistentModelCache) -> None:
    items = [model_item("/a", 1), model_item("/b", 2, sha256="")]
    cache.save_cache("lora", items, {}, [])
    assert cache.load_cache("lora").hash_rows == [(items[0]["sha256"], "/a")]


def test_hash_index_keys_are_lowercased_and_single_paths_accepted(cache: PersistentModelCache) -> None:
    cache.save_cache("lora", [model_item("/a", 1)], {"ABC": "/a", "def": ["/a", "/b"]}, [], {"XYZ": "/a"})
    loaded = cache.load_cache("lora")
    assert sorted(loaded.hash_rows) == [("abc", "/a"), ("def", "/a"), ("def", "/b")]
    assert loaded.autov3_hash_rows == [("XYZ", "/a")]


def test_explicit_autov3_index_replaces_the_derived_one(cache: PersistentModelCache) -> None:
    item = model_item("/a", 1)
    cache.save_cache("lora", [item], {}, [])
    assert cache.load_cache("lora").autov3_hash_rows == [(item["autov3"], "/a")]
    cache.save_cache("lora", [item], {}, [], {})
    assert cache.load_cache("lora").autov3_hash_rows == []


def test_none_indexes_are_empty(cache: PersistentModelCache) -> None:
    cache.save_cache("lora", [model_item("/a", 1, autov3="")], None, None)
    loaded = cache.load_cache("lora")
    assert (loaded.excluded_models, loaded.autov3_hash_rows) == ([], [])


# -- update_single_model ----------------------------------------------------------------------


def test_update_single_model_inserts_a_new_entry(cache: PersistentModelCache) -> None:
    one = model_item("/a", 1)
    assert cache.update_single_model("lora", one) is True
    loaded = cache.load_cache("lora")
    assert loaded.raw_data == [one]
    assert loaded.hash_rows == [(one["sha256"], "/a")]
    assert loaded.autov3_hash_rows == [(one["autov3"], "/a")]


def test_update_single_model_replaces_in_place(cache: PersistentModelCache) -> None:
    one = model_item("/a", 1)
    other = model_item("/b", 2)
    cache.save_cache("lora", [one, other], hashes_of(one, other), [])
    new = model_item("/a", 3, tags=["fresh"])
    assert cache.update_single_model("lora", new, one) is True
    loaded = cache.load_cache("lora")
    assert sorted(loaded.raw_data, key=lambda i: i["file_path"]) == [new, other]
    assert sorted(loaded.hash_rows) == sorted([(new["sha256"], "/a"), (other["sha256"], "/b")])
    assert sorted(loaded.autov3_hash_rows) == sorted([(new["autov3"], "/a"), (other["autov3"], "/b")])


def test_update_single_model_follows_a_rename(cache: PersistentModelCache, db: str) -> None:
    old = model_item("/old.safetensors", 1)
    cache.save_cache("lora", [old], hashes_of(old), [])
    new = {**old, "file_path": "/new.safetensors", "file_name": "new"}
    assert cache.update_single_model("lora", new, old) is True
    loaded = cache.load_cache("lora")
    assert loaded.raw_data == [new]
    assert loaded.hash_rows == [(old["sha256"], "/new.safetensors")]
    assert loaded.autov3_hash_rows == [(old["autov3"], "/new.safetensors")]
    assert query(db, "SELECT DISTINCT file_path FROM model_tags") == [("/new.safetensors",)]


def test_update_single_model_lowercases_the_sha(cache: PersistentModelCache) -> None:
    cache.update_single_model("lora", model_item("/a", 1, sha256="ABC"))
    cache.update_single_model("lora", model_item("/a", 1, sha256="DEF"), model_item("/a", 1, sha256="ABC"))
    assert cache.load_cache("lora").hash_rows == [("def", "/a")]


def test_update_single_model_keeps_autov3_as_given(cache: PersistentModelCache) -> None:
    old = model_item("/a", 1, autov3="ABCDEF012345")
    cache.update_single_model("lora", old)
    cache.update_single_model("lora", model_item("/a", 1, autov3="FEDCBA012345"), old)
    assert cache.load_cache("lora").autov3_hash_rows == [("FEDCBA012345", "/a")]


def test_update_single_model_without_hashes(cache: PersistentModelCache) -> None:
    assert cache.update_single_model("lora", model_item("/a", 1, sha256="", autov3=None), {}) is True
    loaded = cache.load_cache("lora")
    assert (loaded.hash_rows, loaded.autov3_hash_rows) == ([], [])


def test_update_single_model_keeps_other_partitions(cache: PersistentModelCache) -> None:
    ckpt = model_item("/a", 1)
    cache.save_cache("checkpoint", [ckpt], hashes_of(ckpt), [])
    cache.update_single_model("lora", model_item("/a", 2), ckpt)
    assert cache.load_cache("checkpoint").raw_data == [ckpt]
    assert cache.load_cache("checkpoint").hash_rows == [(ckpt["sha256"], "/a")]


def test_update_single_model_needs_a_path(cache: PersistentModelCache, db: str) -> None:
    assert cache.update_single_model("lora", {"file_name": "x"}) is False
    assert not os.path.exists(db)


def test_update_single_model_rolls_back_on_error(cache: PersistentModelCache, db: str) -> None:
    one = model_item("/a", 1)
    cache.save_cache("lora", [one], hashes_of(one), [])
    # A value SQLite cannot bind fails the insert after the delete: the delete is undone.
    assert cache.update_single_model("lora", model_item("/a", 1, notes=object()), one) is False
    assert cache.load_cache("lora").raw_data == [one]


# -- schema and faults -----------------------------------------------------------------------


def test_older_schema_is_read_and_then_migrated(cache: PersistentModelCache, db: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE models (model_type TEXT, file_path TEXT, file_name TEXT, sha256 TEXT,"
            " PRIMARY KEY (model_type, file_path))"
        )
        conn.execute("CREATE TABLE model_tags (model_type TEXT, file_path TEXT, tag TEXT)")
        conn.execute("INSERT INTO models VALUES ('lora', '/old', 'old', 'abc')")
        conn.execute("INSERT INTO model_tags VALUES ('lora', '/old', 'kept')")
    conn.close()
    loaded = cache.load_cache("lora")
    assert loaded.raw_data[0]["file_name"] == "old"
    assert loaded.raw_data[0]["license_flags"] == 127
    assert loaded.raw_data[0]["tags"] == ["kept"]
    assert loaded.hash_rows == [("abc", "/old")]
    assert loaded.autov3_hash_rows == []
    item = model_item("/old", 1)
    assert cache.save_cache("lora", [item], hashes_of(item), []) is True
    columns = [row[1] for row in query(db, "PRAGMA table_info(models)")]
    assert columns[:4] == ["model_type", "file_path", "file_name", "sha256"]
    assert sorted(columns) == sorted(["model_type", "file_path"] + [c.name for c in MODEL_COLUMNS])
    assert cache.load_cache("lora").raw_data == [item]


def test_file_with_only_a_models_table_loads_without_tags_or_hashes(
    cache: PersistentModelCache, db: str
) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE models (model_type TEXT, file_path TEXT, sha256 TEXT)")
        conn.execute("INSERT INTO models VALUES ('lora', '/only', 'abc')")
    conn.close()
    loaded = cache.load_cache("lora")
    assert [(item["file_path"], item["tags"], item["sha256"]) for item in loaded.raw_data] == [
        ("/only", [], "abc")
    ]
    assert (loaded.hash_rows, loaded.excluded_models, loaded.autov3_hash_rows) == ([("abc", "/only")], [], [])


def test_foreign_schema_save_fails_without_touching_it(cache: PersistentModelCache, db: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE models (model_type TEXT, file_path TEXT, owner TEXT NOT NULL)")
        conn.execute("INSERT INTO models VALUES ('lora', '/theirs', 'someone')")
    conn.close()
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is False
    assert query(db, "SELECT * FROM models") == [("lora", "/theirs", "someone")]
    assert [row[1] for row in query(db, "PRAGMA table_info(models)")] == ["model_type", "file_path", "owner"]


def test_database_without_our_tables_loads_nothing(cache: PersistentModelCache, db: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE unrelated (x)")
    conn.close()
    assert cache.load_cache("lora") is None
    assert cache.get_models_missing_autov3("lora") == []


@pytest.mark.parametrize(
    "content", [b"this is not a sqlite database" * 20, b"SQLite format 3\x00" + b"\xff" * 200]
)
def test_corrupt_file_loads_nothing_and_is_kept_aside_by_the_next_save(
    cache: PersistentModelCache, db: str, content: bytes
) -> None:
    Path(db).write_bytes(content)
    assert cache.load_cache("lora") is None
    assert Path(db).read_bytes() == content
    item = model_item("/a", 1)
    assert cache.save_cache("lora", [item], {}, []) is True
    assert Path(db + ".corrupt").read_bytes() == content
    assert cache.load_cache("lora").raw_data == [item]


def test_truncated_file_loads_nothing_and_is_rebuilt(cache: PersistentModelCache, db: str) -> None:
    items = [model_item(f"/m/{n}.safetensors", n, notes="x" * 500) for n in range(200)]
    cache.save_cache("lora", items, {}, [])
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = Path(db).read_bytes()
    Path(db).write_bytes(data[: len(data) // 2])
    assert cache.load_cache("lora") is None
    assert cache.save_cache("lora", items[:3], {}, []) is True
    assert Path(db + ".corrupt").read_bytes() == data[: len(data) // 2]
    assert cache.load_cache("lora").raw_data == items[:3]


def test_second_corruption_gets_a_new_aside_name(cache: PersistentModelCache, db: str) -> None:
    Path(db + ".corrupt").write_bytes(b"earlier")
    Path(db).write_bytes(b"garbage" * 100)
    Path(db + "-wal").write_bytes(b"stale wal")
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is True
    assert Path(db + ".corrupt").read_bytes() == b"earlier"
    assert Path(db + ".corrupt1").read_bytes() == b"garbage" * 100
    assert Path(db + ".corrupt1-wal").read_bytes() == b"stale wal"
    assert len(cache.load_cache("lora").raw_data) == 1


def test_missing_directory_is_created_by_save_not_by_load(tmp_path: Path) -> None:
    db = tmp_path / "new" / "dir" / "c.sqlite"
    cache = PersistentModelCache(db_path=db, environ={})
    assert cache.load_cache("lora") is None
    assert cache.get_models_missing_autov3("lora") == []
    assert not (tmp_path / "new").exists()
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is True
    assert db.is_file()


def test_failures_are_logged_with_the_file_and_the_cause(
    cache: PersistentModelCache, db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Path(db).write_bytes(b"garbage" * 50)
    caplog.set_level(logging.WARNING, logger="py.services")
    assert cache.load_cache("lora") is None
    assert cache.get_models_missing_autov3("lora") == []
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    broken = PersistentModelCache(db_path=blocker / "c.sqlite", environ={})
    assert broken.save_cache("lora", [], {}, []) is False
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Could not load model cache {db}: {db} is not a database"),
        ("WARNING", f"Could not read model cache {db}: {db} is not a database"),
        ("ERROR", f"Could not save model cache {blocker}/c.sqlite: [Errno 17] File exists: '{blocker}'"),
    ]


def test_unwritable_location_fails_softly(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file")
    cache = PersistentModelCache(db_path=blocker / "c.sqlite", environ={})
    assert cache.load_cache("lora") is None
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is False
    assert cache.update_single_model("lora", model_item("/a", 1)) is False
    assert cache.get_models_missing_autov3("lora") == []
    assert blocker.read_text() == "a regular file"


def test_unusable_settings_dir_fails_softly(tmp_path: Path) -> None:
    blocker = tmp_path / "settings"
    blocker.write_text("x")
    cache = PersistentModelCache("lib", cache_paths=CachePaths(blocker), environ={})
    assert cache.db_path == os.path.join(blocker, "cache", "model", "lib.sqlite")
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is False


def test_database_directory_in_the_way_fails_softly(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    db.mkdir()
    cache = PersistentModelCache(db_path=db, environ={})
    assert cache.load_cache("lora") is None
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is False
    assert db.is_dir()


# -- configuration -------------------------------------------------------------------------------


def test_disabled_by_environment_flag(tmp_path: Path) -> None:
    paths = CachePaths(tmp_path / "settings")
    cache = PersistentModelCache(cache_paths=paths, environ={"LORA_MANAGER_DISABLE_PERSISTENT_CACHE": "1"})
    assert cache.enabled is False
    assert cache.db_path is None
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is False
    assert cache.update_single_model("lora", model_item("/a", 1)) is False
    assert cache.load_cache("lora") is None
    assert cache.get_models_missing_autov3("lora") == []
    assert cache.last_changes == 0
    assert not (tmp_path / "settings").exists()


@pytest.mark.parametrize("value", ["0", "", "true"])
def test_other_flag_values_keep_it_enabled(tmp_path: Path, value: str) -> None:
    cache = PersistentModelCache(
        cache_paths=CachePaths(tmp_path), environ={"LORA_MANAGER_DISABLE_PERSISTENT_CACHE": value}
    )
    assert cache.enabled is True
    assert cache.save_cache("lora", [model_item("/a", 1)], {}, []) is True


def test_environment_flag_is_read_at_construction(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LORA_MANAGER_DISABLE_PERSISTENT_CACHE", "1")
    assert PersistentModelCache(db_path=tmp_path / "x.sqlite").enabled is False
    monkeypatch.delenv("LORA_MANAGER_DISABLE_PERSISTENT_CACHE")
    assert PersistentModelCache(db_path=tmp_path / "x.sqlite").enabled is True


def test_database_path_from_environment_skips_migration(tmp_path: Path) -> None:
    legacy = tmp_path / "settings" / "model_cache.sqlite"
    legacy.parent.mkdir()
    legacy.write_bytes(b"legacy")
    custom = tmp_path / "custom.sqlite"
    cache = PersistentModelCache(
        cache_paths=CachePaths(tmp_path / "settings"), environ={"LORA_MANAGER_CACHE_DB": str(custom)}
    )
    assert cache.db_path == str(custom)
    assert legacy.read_bytes() == b"legacy"


def test_explicit_db_path_wins(tmp_path: Path) -> None:
    cache = PersistentModelCache(
        db_path=tmp_path / "mine.sqlite",
        cache_paths=CachePaths(tmp_path / "s"),
        environ={"LORA_MANAGER_CACHE_DB": str(tmp_path / "env.sqlite")},
    )
    assert cache.db_path == str(tmp_path / "mine.sqlite")


def test_default_path_migrates_the_legacy_library_file(tmp_path: Path) -> None:
    source = PersistentModelCache(db_path=tmp_path / "old.sqlite", environ={})
    item = model_item("/a", 1)
    source.save_cache("lora", [item], hashes_of(item), [])
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    legacy = tmp_path / "settings" / "model_cache" / "My_Lib.sqlite"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes((tmp_path / "old.sqlite").read_bytes())
    cache = PersistentModelCache("My Lib", cache_paths=CachePaths(tmp_path / "settings"), environ={})
    assert cache.library_name == "My Lib"
    assert cache.db_path == os.path.join(tmp_path, "settings", "cache", "model", "My_Lib.sqlite")
    assert not legacy.exists()
    assert cache.load_cache("lora").raw_data == [item]


def test_settings_dir_comes_from_the_injected_environment(tmp_path: Path) -> None:
    cache = PersistentModelCache("lib", environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert cache.db_path == os.path.join(tmp_path, "ComfyUI-LoRA-Manager", "cache", "model", "lib.sqlite")


def test_empty_library_name_is_default(tmp_path: Path) -> None:
    cache = PersistentModelCache("", cache_paths=CachePaths(tmp_path), environ={})
    assert cache.library_name == "default"
    assert cache.db_path == os.path.join(tmp_path, "cache", "model", "default.sqlite")


def test_per_library_instances(tmp_path: Path) -> None:
    kwargs = {"cache_paths": CachePaths(tmp_path), "environ": {}}
    default = PersistentModelCache.get_default(**kwargs)
    assert PersistentModelCache.get_default("default") is default
    assert PersistentModelCache.get_default("") is default
    other = PersistentModelCache.get_default("other", **kwargs)
    assert other is not default
    assert other.db_path == os.path.join(tmp_path, "cache", "model", "other.sqlite")
    assert get_persistent_cache("other") is other
    assert get_persistent_cache() is default
    PersistentModelCache.clear_instances()
    assert PersistentModelCache.get_default(**kwargs) is not default


def test_concurrent_get_default_creates_one_instance(tmp_path: Path) -> None:
    barrier = threading.Barrier(8)
    found: list[PersistentModelCache] = []

    def grab() -> None:
        barrier.wait()
        found.append(PersistentModelCache.get_default("lib", cache_paths=CachePaths(tmp_path), environ={}))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8
    assert len({id(instance) for instance in found}) == 1


# -- concurrency -------------------------------------------------------------------------------


def test_threads_updating_and_reading_lose_nothing(db: str) -> None:
    writers = 12
    caches = [PersistentModelCache(db_path=db, environ={}) for _ in range(3)]
    results: list[bool] = []
    seen: list[PersistedCacheData | None] = []
    barrier = threading.Barrier(writers + 4)

    def write(n: int) -> None:
        barrier.wait()
        results.append(caches[n % 3].update_single_model("lora", model_item(f"/m/{n}", n)))

    def read() -> None:
        barrier.wait()
        for _ in range(5):
            seen.append(caches[0].load_cache("lora"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * writers
    final = caches[1].load_cache("lora")
    assert sorted(item["file_path"] for item in final.raw_data) == sorted(f"/m/{n}" for n in range(writers))
    for snapshot in seen:
        for item in snapshot.raw_data if snapshot else []:
            n = int(item["file_path"].rsplit("/", 1)[1])
            assert item == model_item(f"/m/{n}", n)


async def test_tasks_saving_partitions_concurrently(db: str) -> None:
    cache = PersistentModelCache(db_path=db, environ={})
    types = [f"type{n}" for n in range(10)]
    results = await asyncio.gather(
        *(
            asyncio.to_thread(cache.save_cache, t, [model_item(f"/{t}", n)], {}, [])
            for n, t in enumerate(types)
        )
    )
    assert results == [True] * 10
    for n, t in enumerate(types):
        assert cache.load_cache(t).raw_data == [model_item(f"/{t}", n)]
