"""SqliteDatabase: one cache file shared by threads and tasks without "database is locked".

Writers are serialised and take the write lock up front; a corrupt file is moved aside, never deleted.
LibraryCache holds what every per-library cache on such a file shares: where it lives, one instance a library.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote

from py.utils.cache_paths import DEFAULT_LIBRARY, CachePaths, CacheType, default_settings_dir

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_SECONDS = 30.0
SQLITE_HEADER = b"SQLite format 3\x00"
_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_COMPANIONS = ("-wal", "-shm")
# Journal settings run before the transaction (journal_mode cannot change inside one).
_WAL = "PRAGMA journal_mode=WAL"
_SYNCHRONOUS = "PRAGMA synchronous=NORMAL"
# Pause between attempts to switch a new file to WAL while another connection holds it.
WAL_RETRY_SECONDS = 0.01
# IMMEDIATE: a deferred transaction that later upgrades to a write lock can fail with
# "database is locked" at once, without waiting for the busy timeout.
_BEGIN_WRITE = "BEGIN IMMEDIATE"
_BEGIN_READ = "BEGIN"
_COMMIT = "COMMIT"
DISABLE_ENV = "LORA_MANAGER_DISABLE_PERSISTENT_CACHE"


@dataclass(frozen=True)
class Column:
    """A stored field: its SQL declaration and the value an entry without it gets."""

    name: str
    decl: str
    default: Any = None
    is_bool: bool = False


def is_corrupt(exc: sqlite3.Error) -> bool:
    """True for "not a database" and "malformed" errors (extended codes included)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _CORRUPT_CODES


def is_busy(exc: sqlite3.Error) -> bool:
    """True when another connection holds the lock (extended codes included)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def ensure_table(conn: sqlite3.Connection, table: str, columns: list[tuple[str, str]], key: str) -> None:
    """Create ``table``, or add the columns an older version of it lacks."""
    spec = ", ".join(f"{name} {decl}" for name, decl in columns)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({spec}, PRIMARY KEY ({key}))")
    existing = set(table_columns(conn, table))
    for name, decl in columns:
        if name not in existing:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")


class SqliteDatabase:
    """A SQLite file in WAL mode; ``init_schema`` runs inside every write transaction."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        init_schema: Callable[[sqlite3.Connection], None],
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = os.fspath(path)
        self._init_schema = init_schema
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._sleep = sleep
        self._write_lock = threading.Lock()
        self.last_changes = 0

    def exists(self) -> bool:
        return os.path.isfile(self.path)

    def holds_foreign_bytes(self) -> bool:
        """True when the file is not SQLite at all (an empty file is an empty database).

        Checked before SQLite opens it: SQLite would otherwise treat the -wal beside it as its own.
        """
        try:
            with open(self.path, "rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError:
            return False
        return header not in (b"", SQLITE_HEADER)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection holding one snapshot for all its queries."""
        if self.holds_foreign_bytes():
            raise sqlite3.DatabaseError(f"{self.path} is not a database")
        uri = f"file:{quote(os.path.abspath(self.path))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout, isolation_level=None)
        try:
            conn.execute(_BEGIN_READ)
            yield conn
        finally:
            conn.close()

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in one immediate transaction; a corrupt file is set aside and rebuilt once."""
        with self._write_lock:
            if self.holds_foreign_bytes():
                moved = self.quarantine()
                logger.warning(
                    "Cache database %s is not a database; kept as %s, rebuilding", self.path, moved
                )
            try:
                return self._write_once(work)
            except sqlite3.DatabaseError as exc:
                if not is_corrupt(exc):
                    raise
                moved = self.quarantine()
                logger.warning(
                    "Cache database %s is corrupt (%s); kept as %s, rebuilding", self.path, exc, moved
                )
                return self._write_once(work)

    def _write_once(self, work: Callable[[sqlite3.Connection], T]) -> T:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        try:
            self._use_wal(conn)
            conn.execute(_SYNCHRONOUS)
            conn.execute(_BEGIN_WRITE)
            self._init_schema(conn)
            result = work(conn)
            conn.execute(_COMMIT)
            # A fresh connection: its count is this transaction's rows (DDL counts none).
            self.last_changes = conn.total_changes
            return result
        finally:
            # Closing without COMMIT rolls the transaction back: a failed write changes nothing.
            conn.close()

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL, waiting up to the busy timeout for other connections to let go.

        The switch needs an exclusive lock and SQLite does not call its busy handler for it: two
        caches writing a new file at once would otherwise get "database is locked" at once.
        """
        deadline = self._clock() + self._busy_timeout
        while True:
            try:
                conn.execute(_WAL)
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or self._clock() >= deadline:
                    raise
            self._sleep(WAL_RETRY_SECONDS)

    def quarantine(self) -> str:
        """Move the file (and its WAL companions) aside; returns the new name of the file."""
        target = f"{self.path}.corrupt"
        counter = 0
        while os.path.exists(target):
            counter += 1
            target = f"{self.path}.corrupt{counter}"
        os.replace(self.path, target)
        for suffix in _COMPANIONS:
            if os.path.exists(self.path + suffix):
                os.replace(self.path + suffix, target + suffix)
        return target


class LibraryCache:
    """A cache of one library kept in a SqliteDatabase, or in nothing when the environment disables it.

    A subclass names its ``cache_type``, the variable ``db_path_env`` that may move its file, its
    ``init_schema`` and the ``label`` its log lines use.
    """

    cache_type: ClassVar[CacheType]
    db_path_env: ClassVar[str]
    init_schema: ClassVar[Callable[[sqlite3.Connection], None]]
    label: ClassVar[str]
    # One shared instance per (cache class, library): a model cache and a recipe cache never meet.
    _instances: ClassVar[dict[tuple[type, str], LibraryCache]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        library_name: str = DEFAULT_LIBRARY,
        db_path: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        cache_paths: CachePaths | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.library_name = library_name or DEFAULT_LIBRARY
        self.enabled = env.get(DISABLE_ENV) != "1"
        self._db: SqliteDatabase | None = None
        if self.enabled:
            paths = cache_paths or CachePaths(default_settings_dir(env))
            path = db_path or paths.database_path(
                self.cache_type, self.library_name, env.get(self.db_path_env)
            )
            self._db = SqliteDatabase(path, type(self).init_schema)

    @classmethod
    def get_default(cls, library_name: str | None = None, **kwargs: Any) -> Self:
        """The shared instance of a library (created on first use, once even under threads)."""
        key = (cls, library_name or DEFAULT_LIBRARY)
        with cls._instances_lock:
            if key not in cls._instances:
                cls._instances[key] = cls(key[1], **kwargs)
            return cls._instances[key]  # type: ignore[return-value]

    @classmethod
    def clear_instances(cls) -> None:
        """Forget the shared instances of this cache class (those of other classes stay)."""
        with cls._instances_lock:
            for key in [key for key in cls._instances if key[0] is cls]:
                del cls._instances[key]

    @property
    def db_path(self) -> str | None:
        return None if self._db is None else self._db.path

    @property
    def last_changes(self) -> int:
        """Rows inserted, updated or deleted by the last successful write."""
        return 0 if self._db is None else self._db.last_changes

    @property
    def _logger(self) -> logging.Logger:
        # The subclass's module logger: its records keep the name they always had.
        return logging.getLogger(type(self).__module__)

    def _read(self, work: Callable[[sqlite3.Connection], T], neutral: T, verb: str = "read") -> T:
        """``work`` on a snapshot whose rows are ``sqlite3.Row``; ``neutral`` when there is no file to read."""
        if self._db is None or not self._db.exists():
            return neutral
        try:
            with self._db.reading() as conn:
                conn.row_factory = sqlite3.Row
                return work(conn)
        except sqlite3.Error as exc:
            self._logger.warning("Could not %s %s %s: %s", verb, self.label, self._db.path, exc)
            return neutral

    def _write(self, work: Callable[[sqlite3.Connection], Any]) -> bool:
        """Run ``work`` in one write transaction; False (logged) when disabled or when it fails."""
        if self._db is None:
            return False
        try:
            self._db.write(work)
        except (sqlite3.Error, OSError) as exc:
            self._logger.error("Could not save %s %s: %s", self.label, self._db.path, exc)
            return False
        return True
