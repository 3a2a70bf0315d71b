"""SqliteDatabase: serialised writers, busy timeout, corrupt files set aside, never deleted."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from py.services.sqlite_database import (
    SQLITE_HEADER,
    WAL_RETRY_SECONDS,
    LibraryCache,
    SqliteDatabase,
    ensure_table,
    is_busy,
    is_corrupt,
)
from py.utils.cache_paths import CachePaths, CacheType


def _schema(conn: sqlite3.Connection) -> None:
    ensure_table(conn, "t", [("k", "TEXT NOT NULL"), ("v", "TEXT")], "k")


def _insert(*keys: str):
    def work(conn: sqlite3.Connection) -> int:
        conn.executemany("INSERT INTO t (k, v) VALUES (?, 'x')", [(k,) for k in keys])
        return len(keys)

    return work


def _keys(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT k FROM t ORDER BY rowid")]
    finally:
        conn.close()


def _error(code: int | None) -> sqlite3.DatabaseError:
    exc = sqlite3.DatabaseError("boom")
    if code is not None:
        exc.sqlite_errorcode = code
    return exc


@pytest.mark.parametrize(
    ("code", "expected"),
    [(sqlite3.SQLITE_CORRUPT, True), (sqlite3.SQLITE_NOTADB, True), (779, True), (1, False), (None, False)],
)
def test_is_corrupt(code: int | None, expected: bool) -> None:
    assert is_corrupt(_error(code)) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [(sqlite3.SQLITE_BUSY, True), (517, True), (sqlite3.SQLITE_LOCKED, False), (None, False)],
)
def test_is_busy(code: int | None, expected: bool) -> None:
    assert is_busy(_error(code)) is expected


@pytest.mark.parametrize(
    ("content", "foreign"),
    [(None, False), (b"", False), (SQLITE_HEADER + b"\x00" * 84, False), (b"SQL", True), (b"x" * 100, True)],
)
def test_holds_foreign_bytes(tmp_path: Path, content: bytes | None, foreign: bool) -> None:
    path = tmp_path / "db.sqlite"
    if content is not None:
        path.write_bytes(content)
    assert SqliteDatabase(path, _schema).holds_foreign_bytes() is foreign


def test_write_returns_the_result_and_counts_rows(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db.sqlite", _schema)
    assert db.last_changes == 0
    assert db.write(_insert("a", "b", "c")) == 3
    assert db.last_changes == 3
    assert db.write(lambda conn: conn.execute("UPDATE t SET v = 'y' WHERE k = 'b'").rowcount) == 1
    assert db.last_changes == 1
    assert _keys(tmp_path / "db.sqlite") == ["a", "b", "c"]


def test_failed_write_changes_nothing_and_propagates(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, _schema)
    db.write(_insert("a"))
    with pytest.raises(sqlite3.IntegrityError):
        db.write(_insert("b", "a"))
    assert _keys(path) == ["a"]
    assert db.last_changes == 1
    assert not Path(f"{path}.corrupt").exists()


def test_reading_sees_one_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, _schema)
    db.write(_insert("a"))
    with db.reading() as conn:
        first = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        db.write(_insert("b"))
        second = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    assert (first, second) == (1, 1)
    with db.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("INSERT INTO t VALUES ('c', 'x')")


def test_reading_a_foreign_file_fails_before_sqlite_touches_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"x" * 100)
    (tmp_path / "db.sqlite-wal").write_bytes(b"not ours to delete")
    with (
        pytest.raises(sqlite3.DatabaseError, match="is not a database"),
        SqliteDatabase(path, _schema).reading(),
    ):
        pass
    assert (tmp_path / "db.sqlite-wal").read_bytes() == b"not ours to delete"


def test_foreign_file_is_set_aside_with_its_companions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"x" * 100)
    (tmp_path / "db.sqlite-wal").write_bytes(b"w")
    (tmp_path / "db.sqlite-shm").write_bytes(b"s")
    assert SqliteDatabase(path, _schema).write(_insert("a")) == 1
    assert (tmp_path / "db.sqlite.corrupt").read_bytes() == b"x" * 100
    assert (tmp_path / "db.sqlite.corrupt-wal").read_bytes() == b"w"
    assert (tmp_path / "db.sqlite.corrupt-shm").read_bytes() == b"s"
    assert _keys(path) == ["a"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"Cache database {path} is not a database; kept as {path}.corrupt, rebuilding")
    ]


def test_malformed_file_is_set_aside_and_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "db.sqlite"
    malformed = SQLITE_HEADER + b"\xff" * 200
    path.write_bytes(malformed)
    assert SqliteDatabase(path, _schema).write(_insert("a")) == 1
    assert (tmp_path / "db.sqlite.corrupt").read_bytes() == malformed
    assert _keys(path) == ["a"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"Cache database {path} is corrupt (file is not a database); kept as {path}.corrupt, rebuilding",
        )
    ]


def test_aside_names_never_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    for suffix, data in ((".corrupt", b"first"), (".corrupt1", b"second")):
        Path(f"{path}{suffix}").write_bytes(data)
    path.write_bytes(b"third" * 30)
    db = SqliteDatabase(path, _schema)
    assert db.quarantine() == f"{path}.corrupt2"
    assert [Path(f"{path}{s}").read_bytes() for s in (".corrupt", ".corrupt1", ".corrupt2")] == [
        b"first",
        b"second",
        b"third" * 30,
    ]
    assert not path.exists()


def test_corruption_that_survives_the_rebuild_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    calls: list[int] = []

    def always_corrupt(conn: sqlite3.Connection) -> None:
        calls.append(1)
        raise _error(sqlite3.SQLITE_CORRUPT)

    with pytest.raises(sqlite3.DatabaseError, match="boom"):
        SqliteDatabase(path, _schema).write(always_corrupt)
    assert len(calls) == 2
    assert Path(f"{path}.corrupt").is_file()


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> threading.Thread:
    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        threading.Event().wait(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_writer_waits_for_another_connections_lock(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, _schema)
    db.write(_insert("a"))
    locked = threading.Event()
    holder = _hold_write_lock(path, 0.5, locked)
    locked.wait()
    assert db.write(_insert("b")) == 1
    holder.join()
    assert _keys(path) == ["a", "b"]


def test_busy_timeout_is_the_one_configured(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    SqliteDatabase(path, _schema).write(_insert("a"))
    impatient = SqliteDatabase(path, _schema, busy_timeout=0.05)
    locked = threading.Event()
    holder = _hold_write_lock(path, 2.0, locked)
    locked.wait()
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            impatient.write(_insert("b"))
    finally:
        holder.join()
    assert _keys(path) == ["a"]


def _rollback_file_read_by_another(path: Path) -> sqlite3.Connection:
    """A file still in rollback mode that another connection is reading: switching it to WAL is busy."""
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("CREATE TABLE other (x)")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM other").fetchall()
    return reader


class _FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self, on_sleep: Callable[[], None] = lambda: None) -> None:
        self.sleeps: list[float] = []
        self._on_sleep = on_sleep

    def clock(self) -> float:
        return len(self.sleeps) * WAL_RETRY_SECONDS

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._on_sleep()


def test_switch_to_wal_is_retried_until_the_other_connection_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    reader = _rollback_file_read_by_another(path)
    fake = _FakeTime(on_sleep=lambda: reader.execute("COMMIT"))
    db = SqliteDatabase(path, _schema, busy_timeout=0.05, clock=fake.clock, sleep=fake.sleep)
    try:
        assert db.write(_insert("a")) == 1
    finally:
        reader.close()
    assert fake.sleeps == [WAL_RETRY_SECONDS]
    assert _keys(path) == ["a"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_switch_to_wal_gives_up_at_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    reader = _rollback_file_read_by_another(path)
    fake = _FakeTime()
    db = SqliteDatabase(path, _schema, busy_timeout=0.05, clock=fake.clock, sleep=fake.sleep)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            db.write(_insert("a"))
    finally:
        reader.close()
    # Attempts at clock 0.00 .. 0.05: the one at the deadline is the last.
    assert fake.sleeps == [WAL_RETRY_SECONDS] * 5
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


# -- LibraryCache: what the model and recipe caches share ------------------------------------------


class _ModelKind(LibraryCache):
    cache_type = CacheType.MODEL
    db_path_env = "TEST_MODEL_DB"
    init_schema = staticmethod(_schema)
    label = "model kind"


class _RecipeKind(LibraryCache):
    cache_type = CacheType.RECIPE
    db_path_env = "TEST_RECIPE_DB"
    init_schema = staticmethod(_schema)
    label = "recipe kind"


@pytest.fixture
def _no_kind_instances() -> None:
    _ModelKind.clear_instances()
    _RecipeKind.clear_instances()
    yield
    _ModelKind.clear_instances()
    _RecipeKind.clear_instances()


@pytest.mark.usefixtures("_no_kind_instances")
def test_each_cache_class_keeps_its_own_instances(tmp_path: Path) -> None:
    kwargs = {"cache_paths": CachePaths(tmp_path), "environ": {}}
    model = _ModelKind.get_default("lib", **kwargs)
    recipe = _RecipeKind.get_default("lib", **kwargs)
    assert type(model) is _ModelKind
    assert type(recipe) is _RecipeKind
    assert model.db_path == os.path.join(tmp_path, "cache", "model", "lib.sqlite")
    assert recipe.db_path == os.path.join(tmp_path, "cache", "recipe", "lib.sqlite")
    _ModelKind.clear_instances()
    assert _RecipeKind.get_default("lib") is recipe
    assert _ModelKind.get_default("lib", **kwargs) is not model


def test_schema_and_path_variable_come_from_the_class(tmp_path: Path) -> None:
    env = {"TEST_RECIPE_DB": str(tmp_path / "r.sqlite"), "TEST_MODEL_DB": str(tmp_path / "m.sqlite")}
    cache = _RecipeKind(cache_paths=CachePaths(tmp_path / "s"), environ=env)
    assert cache.db_path == str(tmp_path / "r.sqlite")
    assert cache._write(_insert("a", "b")) is True
    assert (cache.last_changes, _keys(tmp_path / "r.sqlite")) == (2, ["a", "b"])


def test_log_lines_name_the_subclass_module_and_label(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "bad.sqlite").write_bytes(b"garbage" * 50)
    caplog.set_level(logging.WARNING)
    cache = _ModelKind(db_path=tmp_path / "bad.sqlite", environ={})
    assert cache._read(lambda conn: 1, -1) == -1
    assert cache._read(lambda conn: 1, -2, "load") == -2
    bad = tmp_path / "bad.sqlite"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (__name__, "WARNING", f"Could not read model kind {bad}: {bad} is not a database"),
        (__name__, "WARNING", f"Could not load model kind {bad}: {bad} is not a database"),
    ]
