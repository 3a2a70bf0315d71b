"""The run history store: every completed run, its scores and its survivors, in `.gate/history.db` (SQLite).

It answers "what changed since last week": new and fixed survivors and the score delta per target.
How past runs are shown (table, trend, sparklines) is gate.report.history's job.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gate.exit_code import GateError
from gate.model import UNDETECTED, Counts, RunRecord, RunResult, TargetRecord

HISTORY_PATH = Path(".gate") / "history.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_sha TEXT,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    duration_s REAL NOT NULL,
    selection TEXT NOT NULL,
    score REAL,
    covered_score REAL,
    total INTEGER NOT NULL,
    retested INTEGER NOT NULL,
    reused INTEGER NOT NULL,
    config_fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS target_scores (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    score REAL,
    covered_score REAL,
    total INTEGER NOT NULL,
    PRIMARY KEY (run_id, target)
);
-- One row per (target, status, cause) with its count: "by status and cause".
CREATE TABLE IF NOT EXISTS target_counts (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    cause TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, target, status, cause)
);
CREATE TABLE IF NOT EXISTS survivors (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    mutant_id TEXT NOT NULL,
    target TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    status TEXT NOT NULL,
    cause TEXT NOT NULL,
    PRIMARY KEY (run_id, mutant_id)
);
"""


class _NoHistory(Exception):
    """The file exists but holds no run yet (e.g. an empty file): read as an empty history."""


class HistoryError(GateError):
    """The history database cannot be read or written (corrupt, locked, from a newer gate): exit 3."""


class History:
    """The history database. Opened lazily per call; never deleted or rewritten when unreadable."""

    def __init__(self, path: str | Path = HISTORY_PATH) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection]:
        if not create and not self.path.exists():
            raise FileNotFoundError(self.path)
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if create else "ro"
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode={mode}", uri=True)
        except sqlite3.Error as error:
            raise HistoryError(f"cannot open history {self.path}: {error}") from None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._check_schema(conn, create=create):
                raise _NoHistory
            yield conn
            conn.commit()
        except sqlite3.DatabaseError as error:
            conn.rollback()
            raise HistoryError(
                f"history {self.path} is unreadable ({error}); it was left untouched: "
                "move it aside to start a new history"
            ) from None
        finally:
            conn.close()

    def _check_schema(self, conn: sqlite3.Connection, *, create: bool) -> bool:
        """Whether the gate's tables are there (creating them when allowed); raise when the file is foreign."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"history {self.path} was written by a newer gate (schema {version}, this gate knows "
                f"{SCHEMA_VERSION})"
            )
        if version == 0:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables - {"sqlite_sequence"}:
                raise HistoryError(f"{self.path} is an SQLite file but not a gate history")
            if create:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return True
            return False
        return True

    def append(self, result: RunResult) -> int:
        """Record a completed run; returns its id. Shard results are partial and never recorded."""
        if result.shard is not None:
            raise ValueError("a shard is a partial run: merge the shards and record the merged result")
        counts = result.counts()
        with self._connect(create=True) as conn:
            cursor = conn.execute(
                "INSERT INTO runs (commit_sha, started, finished, duration_s, selection, score, covered_score,"
                " total, retested, reused, config_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.commit,
                    result.started,
                    result.finished,
                    round(float(result.duration_s), 3),
                    result.selection,
                    counts.score,
                    counts.covered_score,
                    counts.total,
                    result.retested,
                    result.reused,
                    result.config_fingerprint,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            for target, mutants in sorted(result.by_target().items()):
                target_counts = Counts.of(mutants)
                conn.execute(
                    "INSERT INTO target_scores VALUES (?, ?, ?, ?, ?)",
                    (run_id, target, target_counts.score, target_counts.covered_score, target_counts.total),
                )
                by_key: dict[tuple[str, str], int] = {}
                for mutant in mutants:
                    key = (str(mutant.status), str(mutant.cause) if mutant.cause else "")
                    by_key[key] = by_key.get(key, 0) + 1
                conn.executemany(
                    "INSERT INTO target_counts VALUES (?, ?, ?, ?, ?)",
                    [(run_id, target, status, cause, n) for (status, cause), n in sorted(by_key.items())],
                )
            conn.executemany(
                "INSERT INTO survivors VALUES (?, ?, ?, ?, ?, ?, ?)",
                sorted(
                    (run_id, m.id, m.target, m.file, m.line, str(m.status), str(m.cause) if m.cause else "")
                    for m in result.survivors()
                ),
            )
        return run_id

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Past runs, oldest first (the last ``limit`` when given). No database yet: no runs."""
        if not self.path.exists():
            return []
        try:
            with self._connect(create=False) as conn:
                query = "SELECT * FROM runs ORDER BY id DESC"
                rows = conn.execute(
                    query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()
                ).fetchall()
                rows.reverse()
                return [self._checked(conn, row) for row in rows]
        except _NoHistory:
            return []

    def _checked(self, conn: sqlite3.Connection, row: Sequence[Any]) -> RunRecord:
        """A run read back, or a HistoryError when its row has the wrong types or its targets' totals
        do not add up to the run's: a history that lies must not drive a comparison."""
        try:
            record = self._record(conn, row)
        except (TypeError, ValueError) as error:
            raise HistoryError(f"history {self.path}: run {row[0]} is malformed ({error})") from None
        scores = [record.score, record.covered_score] + [t.score for t in record.targets.values()]
        if any(score is not None and not isinstance(score, (int, float)) for score in scores):
            raise HistoryError(f"history {self.path}: run {record.id} has a score that is not a number")
        if record.targets and sum(t.total for t in record.targets.values()) != record.total:
            raise HistoryError(
                f"history {self.path}: run {record.id} counts {record.total} mutants but its targets "
                f"{sum(t.total for t in record.targets.values())}"
            )
        return record

    def last(self) -> RunRecord | None:
        runs = self.runs(limit=1)
        return runs[0] if runs else None

    def survivors(self, run_id: int) -> dict[str, str]:
        """Surviving mutant ids of one run, with their target."""
        if not self.path.exists():
            return {}
        try:
            with self._connect(create=False) as conn:
                rows = conn.execute("SELECT mutant_id, target FROM survivors WHERE run_id = ?", (run_id,))
                return dict(rows.fetchall())
        except _NoHistory:
            return {}

    @staticmethod
    def _record(conn: sqlite3.Connection, row: Sequence[Any]) -> RunRecord:
        run_id = int(row[0])
        counts: dict[str, dict[str, int]] = {}
        for target, status, cause, n in conn.execute(
            "SELECT target, status, cause, count FROM target_counts WHERE run_id = ? ORDER BY 1, 2, 3",
            (run_id,),
        ):
            per_target = counts.setdefault(target, {})
            per_target[status] = per_target.get(status, 0) + n
            if cause:
                per_target[f"{status}/{cause}"] = n
        targets = {
            target: TargetRecord(
                score=score, covered_score=covered, total=int(total), counts=counts.get(target, {})
            )
            for target, score, covered, total in conn.execute(
                "SELECT target, score, covered_score, total FROM target_scores WHERE run_id = ? ORDER BY 1",
                (run_id,),
            )
        }
        return RunRecord(
            id=run_id,
            commit=row[1],
            started=row[2],
            finished=row[3],
            duration_s=float(row[4]),
            selection=row[5],
            score=row[6],
            covered_score=row[7],
            total=int(row[8]),
            retested=int(row[9]),
            reused=int(row[10]),
            targets=targets,
        )


def compare(
    result: RunResult, previous: RunRecord | None, previous_survivors: dict[str, str]
) -> dict[str, Any]:
    """The comparison of a run with the previous one, as stored in RunResult.comparison.

    Only targets present in both runs are compared, so a run of one target is not
    reported as having "fixed" every survivor of the others.
    """
    if previous is None:
        return {
            "previous": None,
            "targets": {},
            "new_survivors": [],
            "fixed_survivors": [],
            "score_delta": None,
        }
    current_targets = result.by_target()
    common = sorted(set(current_targets) & set(previous.targets))
    current_survivors = {m.id: m.target for m in result.mutants if m.status in UNDETECTED}
    new = sorted(i for i, t in current_survivors.items() if t in common and i not in previous_survivors)
    fixed = sorted(i for i, t in previous_survivors.items() if t in common and i not in current_survivors)
    targets: dict[str, Any] = {}
    for name in common:
        score = Counts.of(current_targets[name]).score
        before = previous.targets[name].score
        targets[name] = {
            "score": score,
            "previous_score": before,
            "delta": _delta(score, before),
            "new_survivors": sum(1 for i in new if current_survivors[i] == name),
            "fixed_survivors": sum(1 for i in fixed if previous_survivors[i] == name),
        }
    return {
        "previous": {"run": previous.id, "commit": previous.commit, "finished": previous.finished},
        "targets": targets,
        "new_survivors": new,
        "fixed_survivors": fixed,
        "score_delta": _delta(result.counts().score, previous.score),
    }


def record(result: RunResult, history: History) -> RunResult:
    """Fill ``result.comparison`` against the last recorded run, then append ``result`` to the history."""
    previous = history.last()
    survivors = history.survivors(previous.id) if previous else {}
    result.comparison = compare(result, previous, survivors)
    history.append(result)
    return result


def record_run(root: Path, result: RunResult) -> HistoryError | None:
    """Record a completed run in ``root``'s history, filling its comparison.

    A broken history must not cost the run: the error is returned for the caller to report after
    the results are safely written.
    """
    try:
        record(result, History(root / HISTORY_PATH))
    except HistoryError as error:
        return error
    return None


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)
