"""Fixtures of the lifecycle tests: a model library on real files with real caches and SQLite.

The library holds three models: two copies of one LoRA (same sha256, same version) and a second
version of it with a compound file name, each with its sidecar, backup and previews.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from py.services.model_cache import ModelCache
from py.services.model_hash_index import ModelHashIndex
from py.services.persistent_model_cache import PersistentModelCache

SHA_A = "a" * 64
SHA_B = "b" * 64
AUTOV3_A = "abcdef123456"


@dataclass
class Library:
    """What a scanner exposes to the lifecycle service, holding real cache objects."""

    roots: list[str]
    cache: ModelCache
    persistent_cache: PersistentModelCache | None
    hash_index: ModelHashIndex = field(default_factory=ModelHashIndex)
    model_type: str = "lora"
    excluded_models: list[str] = field(default_factory=list)
    tag_counts: dict[str, int] = field(default_factory=dict)
    cache_version: int = 0

    def get_model_roots(self) -> list[str]:
        return list(self.roots)

    async def get_cached_data(self) -> ModelCache:
        return self.cache

    def bump_cache_version(self) -> None:
        self.cache_version += 1


@dataclass
class Fixture:
    tmp: Path
    root: Path
    library: Library
    paths: dict[str, str]

    def rel(self, path: str) -> str:
        return path.removeprefix(self.tmp.as_posix() + "/")

    def files(self) -> list[str]:
        return sorted(p.relative_to(self.tmp).as_posix() for p in self.root.rglob("*") if not p.is_dir())

    def sidecar(self, relative: str) -> dict[str, Any]:
        return json.loads((self.tmp / relative).read_text(encoding="utf-8"))

    def state(self) -> dict[str, Any]:
        """The exact state of every cache, with paths relative to tmp_path."""
        library = self.library
        index = library.hash_index
        persisted = (
            library.persistent_cache.load_cache(library.model_type) if library.persistent_cache else None
        )
        return {
            "autov3": {key: self.rel(path) for key, path in sorted(index.get_all_autov3().items())},
            "cache": sorted(self.rel(item["file_path"]) for item in library.cache.raw_data),
            "hash": {sha: self.rel(index.get_path(sha)) for sha in sorted(index.get_all_hashes())},
            "duplicates": {
                sha: [self.rel(p) for p in paths]
                for sha, paths in sorted(index.get_duplicate_hashes().items())
            },
            "excluded": [self.rel(p) for p in library.excluded_models],
            "tags": dict(sorted(library.tag_counts.items())),
            "persisted": None
            if persisted is None
            else {
                "cache": sorted(self.rel(item["file_path"]) for item in persisted.raw_data),
                # Read from the table itself: load_cache falls back to the model rows when it is empty.
                "hash_rows": self._table_rows("SELECT sha256, file_path FROM hash_index"),
                "autov3_rows": sorted((key, self.rel(p)) for key, p in persisted.autov3_hash_rows),
                "excluded": sorted(self.rel(p) for p in persisted.excluded_models),
            },
        }

    def _table_rows(self, query: str) -> list[tuple[str, str]]:
        with sqlite3.connect(self.library.persistent_cache.db_path) as conn:
            return sorted((key, self.rel(path)) for key, path in conn.execute(query))

    def entry(self, path: str) -> dict[str, Any] | None:
        return next((item for item in self.library.cache.raw_data if item["file_path"] == path), None)


def _write_model(root: Path, relative: str, payload: dict[str, Any], extras: list[str]) -> str:
    model = root / relative
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"weights of " + relative.encode())
    stem = model.name.removesuffix(model.suffix)
    (model.parent / f"{stem}.metadata.json").write_text(json.dumps(payload), encoding="utf-8")
    for suffix in extras:
        (model.parent / f"{stem}{suffix}").write_bytes(suffix.encode())
    return model.as_posix()


def _entry(
    path: str, folder: str, sha: str, version_id: int, tags: list[str], preview: str
) -> dict[str, Any]:
    name = path.rsplit("/", 1)[1].rsplit(".", 1)[0]
    return {
        "file_path": path,
        "file_name": name,
        "model_name": f"Model {name}",
        "folder": folder,
        "sha256": sha,
        "size": 100,
        "modified": 1700000000.0,
        "tags": tags,
        "preview_url": preview,
        "civitai": {"id": version_id, "modelId": 100, "name": f"v{version_id}"},
    }


async def build_library(tmp_path: Path, *, persistent: bool = True, model_type: str = "lora") -> Fixture:
    root = tmp_path / "lib"
    base = root.as_posix()
    specs = {
        "a": ("a.safetensors", "", SHA_A, 1001, ["style", "anime"], f"{base}/a.webp"),
        "b": ("sub/b.v1.safetensors", "sub", SHA_B, 1002, ["style"], f"{base}/sub/b.v1.jpeg"),
        "c": ("sub/a.safetensors", "sub", SHA_A, 1001, ["copy"], ""),
    }
    extras = {
        "a": [".metadata.json.bak", ".webp", ".preview.png"],
        "b": [".metadata.json.bak", ".jpeg"],
        "c": [],
    }
    paths: dict[str, str] = {}
    entries = []
    for key, (relative, folder, sha, version, tags, preview) in specs.items():
        entry = _entry(f"{base}/{relative}", folder, sha, version, tags, preview)
        paths[key] = _write_model(root, relative, entry, extras[key])
        entries.append(entry)
    (root / "notes.txt").write_text("not a model", encoding="utf-8")
    entries[0]["autov3"] = AUTOV3_A
    (root / "a.metadata.json").write_text(json.dumps(entries[0]), encoding="utf-8")

    store = PersistentModelCache(db_path=tmp_path / "cache.sqlite", environ={}) if persistent else None
    library = Library(
        roots=[base],
        cache=ModelCache(raw_data=copy.deepcopy(entries)),
        persistent_cache=store,
        model_type=model_type,
    )
    for entry in entries:
        library.hash_index.add_entry(entry["sha256"], entry["file_path"], entry.get("autov3"))
        for tag in entry["tags"]:
            library.tag_counts[tag] = library.tag_counts.get(tag, 0) + 1
    if store is not None:
        hashes = {SHA_A: [paths["a"], paths["c"]], SHA_B: [paths["b"]]}
        assert store.save_cache(model_type, entries, hashes, [])
    return Fixture(tmp=tmp_path, root=root, library=library, paths=paths)


@pytest.fixture
async def models(tmp_path: Path) -> Fixture:
    return await build_library(tmp_path)
