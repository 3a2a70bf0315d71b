"""PersistentRecipeCache: the recipes of one library kept in SQLite between runs.

Each row remembers the mtime and size of the recipe's JSON file, so a rescan can skip unchanged files.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from py.services.sqlite_database import Column, LibraryCache, ensure_table
from py.utils.cache_paths import CacheType

DB_PATH_ENV = "LORA_MANAGER_RECIPE_CACHE_DB"

RECIPE_COLUMNS: tuple[Column, ...] = (
    Column("file_path", "TEXT", ""),
    Column("title", "TEXT", ""),
    Column("folder", "TEXT", ""),
    Column("source_path", "TEXT", ""),
    Column("base_model", "TEXT", ""),
    Column("fingerprint", "TEXT", ""),
    Column("created_date", "REAL", 0.0),
    Column("modified", "REAL", 0.0),
    Column("favorite", "INTEGER", False, is_bool=True),
    Column("repair_version", "INTEGER", 0),
    Column("preview_nsfw_level", "INTEGER", 0),
    Column("has_workflow", "INTEGER", False, is_bool=True),
)
# (recipe key, column, empty value): stored as JSON text.
JSON_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("loras", "loras_json", []),
    ("checkpoint", "checkpoint_json", {}),
    ("gen_params", "gen_params_json", {}),
    ("tags", "tags_json", []),
)
# Left out of a loaded recipe when empty, as a scanned recipe would have them.
_OPTIONAL_KEYS = ("checkpoint", "tags")
_ALL_COLUMNS = (
    ["recipe_id", "json_path"]
    + [column.name for column in RECIPE_COLUMNS]
    + ["file_mtime", "file_size"]
    + [name for _, name, _ in JSON_FIELDS]
)


# SQL lives here, whole: identifiers are case-insensitive, so a statement is its own unit.
_SCHEMA: tuple[tuple[str, list[tuple[str, str]], str], ...] = (
    (
        "recipes",
        [("recipe_id", "TEXT NOT NULL"), ("json_path", "TEXT")]
        + [(column.name, column.decl) for column in RECIPE_COLUMNS]
        + [("file_mtime", "REAL"), ("file_size", "INTEGER")]
        + [(name, "TEXT") for _, name, _ in JSON_FIELDS],
        "recipe_id",
    ),
    ("cache_metadata", [("key", "TEXT NOT NULL"), ("value", "TEXT")], "key"),
)
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_recipes_json_path ON recipes (json_path)",
    "CREATE INDEX IF NOT EXISTS idx_recipes_fingerprint ON recipes (fingerprint)",
)
_SELECT_ALL = f"SELECT {', '.join(_ALL_COLUMNS)} FROM recipes ORDER BY rowid"
_SELECT_STATS = "SELECT json_path, file_mtime, file_size FROM recipes ORDER BY rowid"
_SELECT_IDS = "SELECT recipe_id FROM recipes"
_COUNT = "SELECT COUNT(*) FROM recipes"
_UPSERT = f"INSERT OR REPLACE INTO recipes ({', '.join(_ALL_COLUMNS)}) VALUES ({', '.join('?' for _ in _ALL_COLUMNS)})"
_DELETE_ALL = "DELETE FROM recipes"
_DELETE_ONE = "DELETE FROM recipes WHERE recipe_id = ?"
_STORE_IMAGE_ID_MAP = "INSERT OR REPLACE INTO cache_metadata (key, value) VALUES ('image_id_map', ?)"
_SELECT_IMAGE_ID_MAP = "SELECT value FROM cache_metadata WHERE key = 'image_id_map'"


def _init_schema(conn: sqlite3.Connection) -> None:
    for table, columns, key in _SCHEMA:
        ensure_table(conn, table, columns, key)
    for statement in _INDEXES:
        conn.execute(statement)


@dataclass
class PersistedRecipeData:
    raw_data: list[dict[str, Any]] = field(default_factory=list)
    file_stats: dict[str, tuple[float | None, int | None]] = field(default_factory=dict)
    image_id_map: dict[str, str] = field(default_factory=dict)


def _file_stat(json_path: str | None) -> tuple[float | None, int | None]:
    if not json_path:
        return None, None
    try:
        stat = os.stat(json_path)
    except OSError:
        return None, None
    return stat.st_mtime, stat.st_size


def recipe_row(recipe: Mapping[str, Any], json_path: str | None) -> tuple[Any, ...]:
    """The `recipes` values of a recipe, in ``_ALL_COLUMNS`` order."""
    values: list[Any] = [str(recipe["id"]), json_path]
    for column in RECIPE_COLUMNS:
        value = recipe.get(column.name, column.default)
        values.append(int(bool(value)) if column.is_bool else value)
    values.extend(_file_stat(json_path))
    for key, _, empty in JSON_FIELDS:
        value = recipe.get(key)
        values.append(json.dumps(empty if value is None else value))
    return tuple(values)


def _decode(text: str | None, empty: Any) -> Any:
    """A JSON column; missing, unreadable or of the wrong kind, it is the field's empty value."""
    if not text:
        return type(empty)()
    try:
        value = json.loads(text)
    except ValueError:
        return type(empty)()
    return value if isinstance(value, type(empty)) else type(empty)()


def recipe_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    recipe: dict[str, Any] = {"id": row["recipe_id"]}
    for column in RECIPE_COLUMNS:
        value = row[column.name]
        recipe[column.name] = bool(value) if column.is_bool else value
    for key, name, empty in JSON_FIELDS:
        value = _decode(row[name], empty)
        if value or key not in _OPTIONAL_KEYS:
            recipe[key] = value
    return recipe


class PersistentRecipeCache(LibraryCache):
    """SQLite copy of one library's recipes and its image-id map."""

    cache_type = CacheType.RECIPE
    db_path_env = DB_PATH_ENV
    init_schema = staticmethod(_init_schema)
    label = "recipe cache"

    # -- reading ---------------------------------------------------------------

    def load_cache(self) -> PersistedRecipeData | None:
        """The saved recipes, or None when there are none or the file cannot be read."""

        def work(conn: sqlite3.Connection) -> PersistedRecipeData | None:
            rows = [dict(row) for row in conn.execute(_SELECT_ALL)]
            if not rows:
                return None
            return PersistedRecipeData(
                raw_data=[recipe_from_row(row) for row in rows],
                file_stats=_stats(rows),
                image_id_map=_image_id_map(conn),
            )

        return self._read(work, None)

    def get_file_stats(self) -> dict[str, tuple[float | None, int | None]]:
        def work(conn: sqlite3.Connection) -> dict[str, tuple[float | None, int | None]]:
            return _stats([dict(row) for row in conn.execute(_SELECT_STATS)])

        return self._read(work, {})

    def get_indexed_recipe_ids(self) -> set[str]:
        return self._read(lambda conn: {row[0] for row in conn.execute(_SELECT_IDS)}, set())

    def get_recipe_count(self) -> int:
        return self._read(lambda conn: conn.execute(_COUNT).fetchone()[0], 0)

    # -- writing ---------------------------------------------------------------

    def save_cache(
        self,
        recipes: Iterable[Mapping[str, Any]],
        json_paths: Mapping[Any, str] | None = None,
        image_id_map: Mapping[Any, Any] | None = None,
    ) -> bool:
        """Replace every stored recipe with ``recipes`` (those without an id are skipped)."""
        paths = {str(key): value for key, value in (json_paths or {}).items()}
        rows = [recipe_row(r, paths.get(str(r["id"]))) for r in recipes if r.get("id") not in (None, "")]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(_DELETE_ALL)
            conn.executemany(_UPSERT, rows)
            if image_id_map is not None:
                _store_image_id_map(conn, image_id_map)

        return self._write(work)

    def update_recipe(self, recipe: Mapping[str, Any], json_path: str | None = None) -> bool:
        if recipe.get("id") in (None, ""):
            return False
        row = recipe_row(recipe, json_path)
        return self._write(lambda conn: conn.execute(_UPSERT, row))

    def remove_recipe(self, recipe_id: Any) -> bool:
        return self._write(lambda conn: conn.execute(_DELETE_ONE, (str(recipe_id),)))

    def save_image_id_map(self, image_id_map: Mapping[Any, Any]) -> bool:
        return self._write(lambda conn: _store_image_id_map(conn, image_id_map))


def _stats(rows: list[dict[str, Any]]) -> dict[str, tuple[float | None, int | None]]:
    return {row["json_path"]: (row["file_mtime"], row["file_size"]) for row in rows if row["json_path"]}


def _store_image_id_map(conn: sqlite3.Connection, image_id_map: Mapping[Any, Any]) -> None:
    payload = json.dumps({str(key): str(value) for key, value in image_id_map.items()})
    conn.execute(_STORE_IMAGE_ID_MAP, (payload,))


def _image_id_map(conn: sqlite3.Connection) -> dict[str, str]:
    row = conn.execute(_SELECT_IMAGE_ID_MAP).fetchone()
    return _decode(row[0] if row else None, {})
