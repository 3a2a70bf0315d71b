"""PersistentModelCache: the model cache of one library kept in SQLite between runs.

A save writes only the difference with what is stored, so saving unchanged data changes no row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from py.services.sqlite_database import DISABLE_ENV as DISABLE_ENV  # where callers have always found it
from py.services.sqlite_database import Column, LibraryCache, ensure_table, table_columns
from py.utils.cache_paths import CacheType

DB_PATH_ENV = "LORA_MANAGER_CACHE_DB"


# Columns of `models` after (model_type, file_path), in storage order.
MODEL_COLUMNS: tuple[Column, ...] = (
    Column("file_name", "TEXT", ""),
    Column("model_name", "TEXT", ""),
    Column("folder", "TEXT", ""),
    Column("size", "INTEGER", 0),
    Column("modified", "REAL", 0.0),
    Column("sha256", "TEXT", ""),
    Column("autov3", "TEXT"),  # NULL: not computed yet; "": computed, unavailable
    Column("base_model", "TEXT", ""),
    Column("preview_url", "TEXT", ""),
    Column("preview_nsfw_level", "INTEGER", 0),
    Column("from_civitai", "INTEGER", True, is_bool=True),
    Column("favorite", "INTEGER", False, is_bool=True),
    Column("notes", "TEXT", ""),
    Column("usage_tips", "TEXT", ""),
    Column("metadata_source", "TEXT"),
    Column("civitai_id", "INTEGER"),
    Column("civitai_model_id", "INTEGER"),
    Column("civitai_model_type", "TEXT"),
    Column("civitai_name", "TEXT"),
    Column("civitai_creator_username", "TEXT"),
    Column("trained_words", "TEXT"),
    Column("license_flags", "INTEGER DEFAULT 127", 127),
    Column("civitai_deleted", "INTEGER", False, is_bool=True),
    Column("skip_metadata_refresh", "INTEGER", False, is_bool=True),
    Column("exclude", "INTEGER", False, is_bool=True),
    Column("db_checked", "INTEGER", False, is_bool=True),
    Column("last_checked_at", "REAL", 0.0),
    Column("hash_status", "TEXT DEFAULT 'completed'", "completed"),
    Column("hf_url", "TEXT", ""),
)
_CIVITAI_COLUMNS = frozenset(
    {
        "civitai_id",
        "civitai_model_id",
        "civitai_model_type",
        "civitai_name",
        "civitai_creator_username",
        "trained_words",
    }
)
_COLUMN_NAMES = [column.name for column in MODEL_COLUMNS]
_COLUMN_LIST = ", ".join(_COLUMN_NAMES)
_MODELS = "models"

# SQL lives here, whole: identifiers are case-insensitive, so a statement is its own unit.
_SCHEMA: tuple[tuple[str, list[tuple[str, str]], str], ...] = (
    (
        "models",
        [("model_type", "TEXT NOT NULL"), ("file_path", "TEXT NOT NULL")]
        + [(column.name, column.decl) for column in MODEL_COLUMNS],
        "model_type, file_path",
    ),
    (
        "model_tags",
        [("model_type", "TEXT NOT NULL"), ("file_path", "TEXT NOT NULL"), ("tag", "TEXT NOT NULL")],
        "model_type, file_path, tag",
    ),
    (
        "hash_index",
        [("model_type", "TEXT NOT NULL"), ("sha256", "TEXT NOT NULL"), ("file_path", "TEXT NOT NULL")],
        "model_type, sha256, file_path",
    ),
    (
        "autov3_index",
        [("model_type", "TEXT NOT NULL"), ("autov3", "TEXT NOT NULL"), ("file_path", "TEXT NOT NULL")],
        "model_type, autov3, file_path",
    ),
    (
        "excluded_models",
        [("model_type", "TEXT NOT NULL"), ("file_path", "TEXT NOT NULL")],
        "model_type, file_path",
    ),
)
_SELECT_MODELS = f"SELECT file_path, {_COLUMN_LIST} FROM models WHERE model_type = ?"
_INSERT_MODEL = f"INSERT INTO models (model_type, file_path, {_COLUMN_LIST}) VALUES (?, ?, {', '.join('?' for _ in _COLUMN_NAMES)})"
_UPDATE_MODEL = f"UPDATE models SET {', '.join(f'{name} = ?' for name in _COLUMN_NAMES)} WHERE model_type = ? AND file_path = ?"
_DELETE_MODEL = "DELETE FROM models WHERE model_type = ? AND file_path = ?"
_MISSING_AUTOV3 = (
    "SELECT file_path FROM models WHERE model_type = ? AND sha256 IS NOT NULL AND sha256 != ''"
    " AND autov3 IS NULL ORDER BY rowid"
)
_SELECT_TAGS = "SELECT file_path, tag FROM model_tags WHERE model_type = ? ORDER BY rowid"
_INSERT_TAG = "INSERT INTO model_tags (model_type, file_path, tag) VALUES (?, ?, ?)"
_DELETE_TAGS = "DELETE FROM model_tags WHERE model_type = ? AND file_path = ?"
_TABLE_NAMES = "SELECT name FROM sqlite_master WHERE type = 'table'"


@dataclass(frozen=True)
class SetTable:
    """A side table holding a set of (key, path) or (path,) rows per model type."""

    name: str
    select: str
    insert: str
    delete: str
    lowercase_key: bool = False


HASHES = SetTable(
    "hash_index",
    "SELECT sha256, file_path FROM hash_index WHERE model_type = ? ORDER BY rowid",
    "INSERT OR IGNORE INTO hash_index (model_type, sha256, file_path) VALUES (?, ?, ?)",
    "DELETE FROM hash_index WHERE model_type = ? AND sha256 = ? AND file_path = ?",
    lowercase_key=True,
)
AUTOV3 = SetTable(
    "autov3_index",
    "SELECT autov3, file_path FROM autov3_index WHERE model_type = ? ORDER BY rowid",
    "INSERT OR IGNORE INTO autov3_index (model_type, autov3, file_path) VALUES (?, ?, ?)",
    "DELETE FROM autov3_index WHERE model_type = ? AND autov3 = ? AND file_path = ?",
)
EXCLUDED = SetTable(
    "excluded_models",
    "SELECT file_path FROM excluded_models WHERE model_type = ? ORDER BY rowid",
    "INSERT OR IGNORE INTO excluded_models (model_type, file_path) VALUES (?, ?)",
    "DELETE FROM excluded_models WHERE model_type = ? AND file_path = ?",
)


def _init_schema(conn: sqlite3.Connection) -> None:
    for table, columns, key in _SCHEMA:
        ensure_table(conn, table, columns, key)


@dataclass
class PersistedCacheData:
    raw_data: list[dict[str, Any]] = field(default_factory=list)
    hash_rows: list[tuple[str, str]] = field(default_factory=list)
    excluded_models: list[str] = field(default_factory=list)
    autov3_hash_rows: list[tuple[str, str]] = field(default_factory=list)


def _civitai_values(item: Mapping[str, Any]) -> dict[str, Any]:
    civitai = item.get("civitai")
    if not isinstance(civitai, Mapping):
        return dict.fromkeys(_CIVITAI_COLUMNS)
    model = civitai.get("model")
    creator = civitai.get("creator")
    words = civitai.get("trainedWords")
    return {
        "civitai_id": civitai.get("id"),
        "civitai_model_id": civitai.get("modelId"),
        "civitai_model_type": model.get("type") if isinstance(model, Mapping) else None,
        "civitai_name": civitai.get("name"),
        "civitai_creator_username": creator.get("username") if isinstance(creator, Mapping) else None,
        "trained_words": None if words is None else json.dumps(words),
    }


def model_row(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """The `models` values of a cache entry, in ``MODEL_COLUMNS`` order."""
    civitai = _civitai_values(item)
    values = []
    for column in MODEL_COLUMNS:
        if column.name in civitai:
            values.append(civitai[column.name])
        elif column.is_bool:
            values.append(int(bool(item.get(column.name, column.default))))
        else:
            values.append(item.get(column.name, column.default))
    return tuple(values)


def _decode_words(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return []


def item_from_row(row: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    """The cache entry stored in a `models` row (as a mapping of column name to value)."""
    item: dict[str, Any] = {"file_path": row["file_path"]}
    for column in MODEL_COLUMNS:
        value = row.get(column.name, column.default)
        if column.name in _CIVITAI_COLUMNS or (column.name == "autov3" and value is None):
            continue
        item[column.name] = bool(value) if column.is_bool else value
    civitai: dict[str, Any] = {}
    for key, name in (("id", "civitai_id"), ("modelId", "civitai_model_id"), ("name", "civitai_name")):
        if row.get(name) is not None:
            civitai[key] = row[name]
    if row.get("civitai_model_type") is not None:
        civitai["model"] = {"type": row["civitai_model_type"]}
    if row.get("civitai_creator_username") is not None:
        civitai["creator"] = {"username": row["civitai_creator_username"]}
    if row.get("trained_words") is not None:
        civitai["trainedWords"] = _decode_words(row["trained_words"])
    if civitai:
        item["civitai"] = civitai
    item["tags"] = tags
    return item


def _tag_list(item: Mapping[str, Any]) -> list[str]:
    tags = item.get("tags") or []
    return list(dict.fromkeys(str(tag) for tag in tags))


def _pairs(index: Mapping[str, Any] | None) -> set[tuple[str, str]]:
    """``{key: [paths]}`` (or ``{key: path}``) as a set of (key, path) rows."""
    pairs: set[tuple[str, str]] = set()
    for key, paths in (index or {}).items():
        for path in [paths] if isinstance(paths, str) else paths:
            pairs.add((key, path))
    return pairs


class PersistentModelCache(LibraryCache):
    """SQLite copy of the model caches of one library, one partition per model type."""

    cache_type = CacheType.MODEL
    db_path_env = DB_PATH_ENV
    init_schema = staticmethod(_init_schema)
    label = "model cache"

    # -- reading ---------------------------------------------------------------

    def load_cache(self, model_type: str) -> PersistedCacheData | None:
        """What was saved for ``model_type``; None when nothing was, or the file cannot be read."""
        return self._read(lambda conn: _load(conn, model_type), None, "load")

    def get_models_missing_autov3(self, model_type: str) -> list[str]:
        """Files hashed with sha256 whose autov3 was never computed."""
        return self._read(lambda conn: [row[0] for row in conn.execute(_MISSING_AUTOV3, (model_type,))], [])

    # -- writing ---------------------------------------------------------------

    def save_cache(
        self,
        model_type: str,
        raw_data: Iterable[Mapping[str, Any]],
        hash_index: Mapping[str, Any] | None,
        excluded_models: Iterable[str] | None,
        autov3_hash_index: Mapping[str, Any] | None = None,
    ) -> bool:
        """Make the stored partition equal to the arguments, touching only rows that differ."""
        if self._db is None:
            return False
        items = {item["file_path"]: item for item in raw_data if item.get("file_path")}
        if autov3_hash_index is None:
            autov3_rows = {(item["autov3"], path) for path, item in items.items() if item.get("autov3")}
        else:
            autov3_rows = _pairs(autov3_hash_index)
        hash_rows = {(sha.lower(), path) for sha, path in _pairs(hash_index)}
        excluded = {(path,) for path in excluded_models or ()}

        def work(conn: sqlite3.Connection) -> None:
            _sync_models(conn, model_type, items)
            _sync_tags(conn, model_type, items)
            _sync_set(conn, HASHES, model_type, hash_rows)
            _sync_set(conn, AUTOV3, model_type, autov3_rows)
            _sync_set(conn, EXCLUDED, model_type, excluded)

        return self._write(work)

    def update_single_model(
        self, model_type: str, new_item: Mapping[str, Any], old_item: Mapping[str, Any] | None = None
    ) -> bool:
        """Store one entry; ``old_item`` is what it replaces (possibly at another path)."""
        path = new_item.get("file_path")
        if self._db is None or not path:
            return False
        old = old_item or {}
        old_path = old.get("file_path") or path

        def work(conn: sqlite3.Connection) -> None:
            for stale in {path, old_path}:
                conn.execute(_DELETE_MODEL, (model_type, stale))
                conn.execute(_DELETE_TAGS, (model_type, stale))
            _insert_model(conn, model_type, path, model_row(new_item))
            _insert_tags(conn, model_type, path, _tag_list(new_item))
            for table, key in ((HASHES, "sha256"), (AUTOV3, "autov3")):
                if old.get(key):
                    conn.execute(table.delete, (model_type, _index_key(table, old[key]), old_path))
                if new_item.get(key):
                    conn.execute(table.insert, (model_type, _index_key(table, new_item[key]), path))

        return self._write(work)


def _index_key(table: SetTable, value: str) -> str:
    return value.lower() if table.lowercase_key else value


def _insert_model(conn: sqlite3.Connection, model_type: str, path: str, row: tuple[Any, ...]) -> None:
    conn.execute(_INSERT_MODEL, (model_type, path, *row))


def _insert_tags(conn: sqlite3.Connection, model_type: str, path: str, tags: list[str]) -> None:
    conn.executemany(_INSERT_TAG, [(model_type, path, tag) for tag in tags])


def _sync_models(conn: sqlite3.Connection, model_type: str, items: Mapping[str, Mapping[str, Any]]) -> None:
    stored = {row[0]: tuple(row[1:]) for row in conn.execute(_SELECT_MODELS, (model_type,))}
    conn.executemany(_DELETE_MODEL, [(model_type, path) for path in stored if path not in items])
    for path, item in items.items():
        row = model_row(item)
        if path not in stored:
            _insert_model(conn, model_type, path, row)
        elif stored[path] != row:
            conn.execute(_UPDATE_MODEL, (*row, model_type, path))


def _sync_tags(conn: sqlite3.Connection, model_type: str, items: Mapping[str, Mapping[str, Any]]) -> None:
    """Rewrite the tags of the files whose tag list (order included) changed."""
    stored: dict[str, list[str]] = {}
    for path, tag in conn.execute(_SELECT_TAGS, (model_type,)):
        stored.setdefault(path, []).append(tag)
    wanted = {path: tags for path, item in items.items() if (tags := _tag_list(item))}
    for path in stored.keys() | wanted.keys():
        if stored.get(path) == wanted.get(path):
            continue
        conn.execute(_DELETE_TAGS, (model_type, path))
        _insert_tags(conn, model_type, path, wanted.get(path, []))


def _sync_set(conn: sqlite3.Connection, table: SetTable, model_type: str, wanted: set[tuple]) -> None:
    stored = set(conn.execute(table.select, (model_type,)))
    conn.executemany(table.delete, [(model_type, *row) for row in stored - wanted])
    conn.executemany(table.insert, [(model_type, *row) for row in sorted(wanted - stored)])


def _load(conn: sqlite3.Connection, model_type: str) -> PersistedCacheData | None:
    # An older file may lack columns: read those it has, the rest take their defaults.
    available = set(table_columns(conn, _MODELS))
    if not available:
        # A file another cache has just created, before its first write committed the tables.
        return None
    names = ", ".join(name for name in _COLUMN_NAMES if name in available)
    query = f"SELECT file_path, {names} FROM models WHERE model_type = ? ORDER BY rowid"
    rows = [dict(row) for row in conn.execute(query, (model_type,))]
    if not rows:
        return None
    tables = {row[0] for row in conn.execute(_TABLE_NAMES)}
    tags: dict[str, list[str]] = {}
    if "model_tags" in tables:
        for path, tag in conn.execute(_SELECT_TAGS, (model_type,)):
            tags.setdefault(path, []).append(tag)
    raw_data = [item_from_row(row, tags.get(row["file_path"], [])) for row in rows]
    hash_rows = _rows(conn, tables, HASHES, model_type)
    if not hash_rows:
        hash_rows = [(item["sha256"], item["file_path"]) for item in raw_data if item.get("sha256")]
    return PersistedCacheData(
        raw_data=raw_data,
        hash_rows=hash_rows,
        excluded_models=[row[0] for row in _rows(conn, tables, EXCLUDED, model_type)],
        autov3_hash_rows=_rows(conn, tables, AUTOV3, model_type),
    )


def _rows(conn: sqlite3.Connection, tables: set[str], table: SetTable, model_type: str) -> list[tuple]:
    """Rows of a side table in insertion order; a table an older file lacks has none."""
    if table.name not in tables:
        return []
    return [tuple(row) for row in conn.execute(table.select, (model_type,))]


def get_persistent_cache(library_name: str | None = None) -> PersistentModelCache:
    """The shared persistent cache of the active library."""
    return PersistentModelCache.get_default(library_name)
