"""Speed of the cache services: hash lookups, adds with duplicates, sorting, SQLite save and load.

Excluded from the default run; run with ``python -m pytest -m benchmark tests/performance``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from py.services.model_cache import ModelCache
from py.services.model_hash_index import ModelHashIndex
from py.services.persistent_recipe_cache import PersistentRecipeCache
from tests.services.cache_fixtures import recipe_item

pytestmark = pytest.mark.benchmark


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


@pytest.mark.parametrize("size", [100, 1_000, 10_000])
def test_hash_index_lookup(benchmark: Any, size: int) -> None:
    index = ModelHashIndex()
    for n in range(size):
        index.add_entry(_sha(n), f"/lib/{n}/model{n}.safetensors", f"{n:012x}")
    # A mix of the kinds of lookup: sha (upper case), autov2, autov3, file name, and a miss.
    probes = [n * size // 50 for n in range(50)]

    def lookups() -> list[Any]:
        found: list[Any] = []
        for n in probes:
            found.append(index.get_path(_sha(n).upper()))
            found.append(index.get_path(_sha(n)[:10]))
            found.append(index.get_path(f"{n:012x}"))
            found.append(index.get_hash_by_filename(f"model{n}"))
            found.append(index.get_path("f" * 64))
        return found

    found = benchmark(lookups)
    expected: list[Any] = []
    for n in probes:
        path = f"/lib/{n}/model{n}.safetensors"
        expected += [path, path, path, _sha(n), None]
    assert found == expected
    assert len(index) == size


def test_hash_index_add_with_duplicates(benchmark: Any) -> None:
    def build() -> ModelHashIndex:
        index = ModelHashIndex()
        for n in range(2_000):
            # Every sha appears at two paths; every name appears in two folders.
            index.add_entry(_sha(n // 2), f"/lib/{n % 2}/model{n // 2}.safetensors")
        return index

    index = benchmark(build)
    assert len(index) == 1_000
    assert len(index.get_duplicate_hashes()) == 1_000
    assert len(index.get_duplicate_filenames()) == 1_000
    assert index.get_path(_sha(7)) == "/lib/1/model7.safetensors"


@pytest.mark.parametrize("sort_key", ["name", "date"])
def test_model_cache_sort_10k(benchmark: Any, sort_key: str) -> None:
    items = [
        {
            "file_path": f"/lib/m{n}.safetensors",
            "model_name": f"Model {(n * 7919) % 10_000}",
            "modified": n % 97,
        }
        for n in range(10_000)
    ]
    cache = ModelCache(raw_data=items)

    def sort() -> list[dict]:
        cache._sorted.clear()  # measure the sort itself, not the memo
        return cache.get_sorted_data(sort_key, "asc")

    result = benchmark(sort)
    assert len(result) == 10_000
    names = [int(item["model_name"].split()[1]) for item in result]
    if sort_key == "name":
        assert names == list(range(10_000))
    else:
        dates = [item["modified"] for item in result]
        assert dates == sorted(dates)


def test_recipe_cache_save_1k(benchmark: Any, tmp_path: Path) -> None:
    cache = PersistentRecipeCache(db_path=tmp_path / "r.sqlite", environ={})
    recipes = [recipe_item(f"r-{n}", n) for n in range(1_000)]
    ok = benchmark(cache.save_cache, recipes, None, {str(n): f"r-{n}" for n in range(1_000)})
    assert ok is True
    assert cache.get_recipe_count() == 1_000


def test_recipe_cache_load_1k(benchmark: Any, tmp_path: Path) -> None:
    cache = PersistentRecipeCache(db_path=tmp_path / "r.sqlite", environ={})
    recipes = [recipe_item(f"r-{n}", n) for n in range(1_000)]
    cache.save_cache(recipes)
    loaded = benchmark(cache.load_cache)
    assert loaded.raw_data == recipes
