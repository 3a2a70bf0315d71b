"""Builders shared by the cache tests: complete model and recipe entries, and a row-change audit.

Imported explicitly by the cache test modules (not a conftest, so nothing here applies implicitly).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


# Every field the persistent model cache stores, each with a non-default value.
def model_item(path: str, n: int = 1, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "file_path": path,
        "file_name": f"file{n}",
        "model_name": f"Model {n}",
        "folder": f"folder/{n}",
        "size": 1000 + n,
        "modified": 1700000000.5 + n,
        "sha256": f"{n:064x}",
        "autov3": f"{n:012x}",
        "base_model": "SDXL 1.0",
        "preview_url": f"/previews/{n}.webp",
        "preview_nsfw_level": 4,
        "from_civitai": False,
        "favorite": True,
        "notes": f"notes {n}",
        "usage_tips": '{"strength": 0.8}',
        "metadata_source": "civitai_api",
        "license_flags": 57,
        "civitai_deleted": True,
        "skip_metadata_refresh": True,
        "exclude": True,
        "db_checked": True,
        "last_checked_at": 1700000100.25,
        "hash_status": "pending",
        "hf_url": f"https://hf.example/{n}",
        "civitai": {
            "id": 100 + n,
            "modelId": 200 + n,
            "name": f"v{n}",
            "trainedWords": ["trigger", f"word{n}"],
            "creator": {"username": f"author{n}"},
            "model": {"type": "LORA"},
        },
        "tags": ["style", f"tag{n}", "anime"],
    }
    item.update(overrides)
    return item


def recipe_item(recipe_id: str, n: int = 1, **overrides: Any) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "id": recipe_id,
        "file_path": f"/recipes/{recipe_id}.webp",
        "title": f"Recipe {n}",
        "folder": f"set/{n}",
        "source_path": f"https://civitai.example/images/{n}",
        "base_model": "Flux.1 D",
        "fingerprint": f"{n:08x}:1.0",
        "created_date": 1600000000.5 + n,
        "modified": 1600000500.25 + n,
        "favorite": True,
        "repair_version": 3,
        "preview_nsfw_level": 2,
        "has_workflow": True,
        "loras": [{"hash": f"{n:064x}", "strength": 0.7, "file_name": f"lora{n}"}],
        "checkpoint": {"name": "base", "modelVersionId": n},
        "gen_params": {"prompt": f"prompt {n}", "seed": n, "cfg": 7.5},
        "tags": ["portrait", f"t{n}"],
    }
    recipe.update(overrides)
    return recipe


def install_audit(db_path: str | Path, tables: tuple[str, ...]) -> None:
    """Record every row inserted, updated or deleted in ``tables`` into an ``audit`` table."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS audit (tbl TEXT, op TEXT)")
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TRIGGER IF NOT EXISTS audit_{table}_{op.lower()} AFTER {op} ON {table} "
                    f"BEGIN INSERT INTO audit VALUES ('{table}', '{op}'); END"
                )
        conn.commit()
    finally:
        conn.close()


def read_audit(db_path: str | Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        return [tuple(row) for row in conn.execute("SELECT tbl, op FROM audit ORDER BY rowid")]
    finally:
        conn.close()


def query(db_path: str | Path, sql: str, *params: Any) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()
