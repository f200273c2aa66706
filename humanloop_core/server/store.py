"""Storage behind the server: a small interface and its SQLite implementation.

Routes and services speak only to :class:`Store`, so another SQL database can be added
by implementing the same methods. Rows come back as plain dicts with JSON columns decoded.

Durability: every write runs in its own transaction that is committed before the method
returns, and the routes answer only after that, so an acknowledged write survives the
process being killed. WAL mode lets readers proceed while a write is in flight.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from . import evalstore
from .evalstore import EvalTables

Row = dict[str, Any]

REPLAY_RETENTION = timedelta(hours=1)
REPLAY_PRUNE_EVERY = 500
DEFAULT_ENVIRONMENTS = (("production", "default"), ("staging", "other"), ("development", "other"))

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files(
    id TEXT PRIMARY KEY, type TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_used_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, file_id TEXT NOT NULL,
    hash TEXT NOT NULL, kernel TEXT NOT NULL, commit_message TEXT, status TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE(file_id, hash));
CREATE TABLE IF NOT EXISTS environments(
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, tag TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments(
    file_id TEXT NOT NULL, environment_id TEXT NOT NULL, version_id TEXT NOT NULL,
    PRIMARY KEY(file_id, environment_id));
CREATE TABLE IF NOT EXISTS logs(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    file_id TEXT NOT NULL, version_id TEXT NOT NULL, created_at TEXT NOT NULL,
    trace_parent_id TEXT, parent_id TEXT, evaluation_id TEXT, source_datapoint_id TEXT,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_file ON logs(file_id, seq);
-- Covers the per-version log counts every file response carries, so a call does not read
-- each log body of its prompt (calls slowed ~70% after 4,000 logs without it).
CREATE INDEX IF NOT EXISTS logs_file_version ON logs(file_id, version_id);
CREATE INDEX IF NOT EXISTS logs_trace ON logs(trace_parent_id);
CREATE INDEX IF NOT EXISTS logs_parent ON logs(parent_id);
CREATE INDEX IF NOT EXISTS logs_evaluation ON logs(evaluation_id);
CREATE TABLE IF NOT EXISTS datapoints(
    version_id TEXT NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY(version_id, idx));
CREATE TABLE IF NOT EXISTS directories(
    id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replays(
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, body BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS replays_age ON replays(created_at);
CREATE TABLE IF NOT EXISTS evaluations(
    id TEXT PRIMARY KEY, file_id TEXT, body TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class Conflict(Exception):
    """A write refused because another row holds its unique key (a path, a log id) or the
    row it belongs to is gone. The server answers 409 with this message."""


class Store(EvalTables, Protocol):
    """What the server needs from storage. Paths are ``/``-separated, without leading slash."""

    # files and versions
    def get_file(self, file_id: str) -> Row | None: ...
    def get_file_by_path(self, path: str) -> Row | None: ...
    def create_file(self, prefix: str, type_: str, path: str) -> Row: ...
    def move_file(self, file_id: str, path: str) -> Row: ...
    def touch_file(self, file_id: str) -> None: ...
    def delete_file(self, file_id: str) -> None: ...
    def list_files(self, types: Sequence[str], name: str | None, page: int, size: int,
                   sort_by: str | None, desc: bool) -> tuple[list[Row], int]: ...
    def files_under(self, directory_path: str) -> list[Row]: ...
    def put_version(self, file_id: str, prefix: str, kernel_hash: str, kernel: Row,
                    commit_message: str | None) -> Row: ...
    def get_version(self, version_id: str) -> Row | None: ...
    def list_versions(self, file_id: str) -> list[Row]: ...
    def commit_version(self, version_id: str, message: str) -> None: ...
    def mark_saved(self, version_id: str) -> None: ...
    def newest_saved_version(self, file_id: str) -> Row | None: ...
    def update_version(self, version_id: str, changes: Row) -> Row: ...
    # environments
    def list_environments(self) -> list[Row]: ...
    def deployments(self, file_id: str) -> dict[str, str]: ...
    def set_deployment(self, file_id: str, environment_id: str, version_id: str) -> None: ...
    def remove_deployment(self, file_id: str, environment_id: str) -> None: ...
    # datapoints
    def put_datapoints(self, version_id: str, datapoints: Sequence[tuple[str, Row]]) -> None: ...
    def list_datapoints(self, version_id: str, page: int, size: int) -> tuple[list[Row], int]: ...
    # logs
    def insert_log(self, log: Row) -> None: ...
    def insert_logs(self, logs: Sequence[Row]) -> int: ...
    def update_log(self, log_id: str, body: Row) -> None: ...
    def set_trace_parent(self, log_ids: Sequence[str], trace_parent_id: str | None) -> None: ...
    def get_log(self, log_id: str) -> Row | None: ...
    def delete_logs(self, ids: Sequence[str]) -> int: ...
    def list_logs(self, where: Row, page: int, size: int) -> tuple[list[Row], int]: ...
    def child_logs(self, column: str, parent_id: str) -> list[Row]: ...
    def count_logs(self, file_id: str) -> dict[str, int]: ...
    # directories
    def ensure_directories(self, path: str) -> str | None: ...
    def get_directory(self, key: str) -> Row | None: ...
    def list_directories(self) -> list[Row]: ...
    def move_directory(self, dir_id: str, path: str) -> Row: ...
    def delete_directory(self, dir_id: str) -> None: ...
    # evaluations
    def put_evaluation(self, evaluation: Row) -> None: ...
    def get_evaluation(self, evaluation_id: str) -> Row | None: ...
    def list_evaluations(self, file_id: str, page: int, size: int) -> tuple[list[Row], int]: ...
    def delete_evaluation(self, evaluation_id: str) -> None: ...
    # idempotent replays
    def get_replay(self, key: str) -> Row | None: ...
    def put_replay(self, key: str, fingerprint: str, status: int, content_type: str, body: bytes) -> None: ...
    def close(self) -> None: ...


class SqliteStore(EvalTables):
    """:class:`Store` on one SQLite file (or ``":memory:"``).

    One connection shared by all threads behind a lock: SQLite serialises writers anyway,
    and a single connection keeps ``:memory:`` databases shared between requests.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._environments: list[Row] | None = None
        self._replays_since_prune = 0
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_function("name_of", 1, lambda p: p.rsplit("/", 1)[-1], deterministic=True)
        # WAL + NORMAL: a committed transaction survives a killed process (only power
        # loss can drop the last few), and readers do not block the writer.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        with self._lock:
            self._conn.executescript(_SCHEMA + evalstore.SCHEMA)
            self._migrate_versions()
            self._prune_replays()
            for name, tag in DEFAULT_ENVIRONMENTS:
                self._conn.execute(
                    "INSERT OR IGNORE INTO environments VALUES (?,?,?,?)",
                    (f"env_{name}", name, tag, now()),
                )

    def _migrate_versions(self) -> None:
        """Forward migration, idempotent: the version columns of issue 11 (name, description,
        and ``saved_seq``, the order of explicit saves). A database from before them keeps
        resolving as it did: its versions count as saved in creation order."""
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(versions)")}
        if "saved_seq" not in columns:
            self._conn.execute("BEGIN IMMEDIATE")
            for column in ("version_name TEXT", "version_description TEXT", "saved_seq INTEGER"):
                if column.split()[0] not in columns:
                    self._conn.execute(f"ALTER TABLE versions ADD COLUMN {column}")
            self._conn.execute("UPDATE versions SET saved_seq=seq")
            self._conn.execute("COMMIT")
        # Names are unique per file among live versions; a deleted version frees its name.
        self._conn.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS versions_name ON versions(file_id, version_name)"
            " WHERE version_name IS NOT NULL AND status != 'deleted'")

    # -- plumbing -------------------------------------------------------------------
    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, tuple(args)).fetchall()]

    def _one(self, sql: str, args: Iterable[Any] = ()) -> Row | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _write(self, statements: Sequence[tuple[str, Iterable[Any]]]) -> list[int]:
        """Run statements in one transaction, committed before returning; the number of
        rows each changed. A unique key already taken rolls it all back as a Conflict."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                changed = [self._conn.execute(sql, tuple(args)).rowcount for sql, args in statements]
            except sqlite3.IntegrityError as exc:
                self._conn.execute("ROLLBACK")
                raise Conflict(f"already taken: {exc}") from exc
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return changed

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- files ----------------------------------------------------------------------
    def get_file(self, file_id: str) -> Row | None:
        return self._one("SELECT * FROM files WHERE id=?", (file_id,))

    def get_file_by_path(self, path: str) -> Row | None:
        return self._one("SELECT * FROM files WHERE path=?", (path,))

    def create_file(self, prefix: str, type_: str, path: str) -> Row:
        ts = now()
        # OR IGNORE + re-read: two requests creating one path at once both get the winner.
        self._write([("INSERT OR IGNORE INTO files VALUES (?,?,?,?,?,?)",
                      (new_id(prefix), type_, path, ts, ts, ts))])
        return self.get_file_by_path(path) or {}

    def move_file(self, file_id: str, path: str) -> Row:
        self._write([("UPDATE files SET path=?, updated_at=? WHERE id=?", (path, now(), file_id))])
        return self.get_file(file_id) or {}

    def touch_file(self, file_id: str) -> None:
        self._write([("UPDATE files SET last_used_at=? WHERE id=?", (now(), file_id))])

    def delete_file(self, file_id: str) -> None:
        versions = "SELECT id FROM versions WHERE file_id=?"
        self._write([
            (f"DELETE FROM datapoints WHERE version_id IN ({versions})", (file_id,)),
            ("DELETE FROM versions WHERE file_id=?", (file_id,)),
            ("DELETE FROM deployments WHERE file_id=?", (file_id,)),
            ("DELETE FROM logs WHERE file_id=?", (file_id,)),
            ("DELETE FROM files WHERE id=?", (file_id,)),
        ])

    def list_files(self, types: Sequence[str], name: str | None, page: int, size: int,
                   sort_by: str | None, desc: bool) -> tuple[list[Row], int]:
        marks = ",".join("?" * len(types))
        where = f"type IN ({marks})"
        args: list[Any] = list(types)
        if name:
            # The name is the last path segment; LIKE is case-insensitive for ASCII.
            where += " AND name_of(path) LIKE ?"
            args.append(f"%{name}%")
        column = {"name": "name_of(path)", "created_at": "created_at", "updated_at": "updated_at"}.get(
            sort_by or "", "created_at")
        order = "DESC" if desc else "ASC"
        total = self._one(f"SELECT count(*) AS n FROM files WHERE {where}", args)
        rows = self._all(
            f"SELECT * FROM files WHERE {where} ORDER BY {column} {order}, rowid {order} LIMIT ? OFFSET ?",
            [*args, size, (page - 1) * size],
        )
        return rows, int(total["n"]) if total else 0

    def files_under(self, directory_path: str) -> list[Row]:
        prefix = f"{directory_path}/" if directory_path else ""
        # An exact prefix, not LIKE: LIKE ignores case and reads `_`/`%` as wildcards.
        rows = self._all("SELECT * FROM files WHERE substr(path, 1, ?) = ? ORDER BY path",
                         (len(prefix), prefix))
        return [r for r in rows if "/" not in r["path"][len(prefix):]]

    # -- versions -------------------------------------------------------------------
    def put_version(self, file_id: str, prefix: str, kernel_hash: str, kernel: Row,
                    commit_message: str | None) -> Row:
        """The version of ``file_id`` with this kernel hash, created when new."""
        found = self._one("SELECT * FROM versions WHERE file_id=? AND hash=?", (file_id, kernel_hash))
        if found is not None:  # the common case (a call with an unchanged kernel): no write
            return self._decode_version(found)
        ts = now()
        self._write([
            ("INSERT OR IGNORE INTO versions(id, file_id, hash, kernel, commit_message, status,"
             " created_at) VALUES (?,?,?,?,?,?,?)",
             (new_id(prefix), file_id, kernel_hash, _dumps(kernel), commit_message, "committed", ts)),
            ("UPDATE files SET updated_at=? WHERE id=? AND changes() > 0", (ts, file_id)),
        ])
        found = self._one("SELECT * FROM versions WHERE file_id=? AND hash=?", (file_id, kernel_hash))
        return self._decode_version(found or {})

    @staticmethod
    def _decode_version(row: Row) -> Row:
        if row:
            row["kernel"] = json.loads(row["kernel"])
        return row

    def get_version(self, version_id: str) -> Row | None:
        row = self._one("SELECT * FROM versions WHERE id=?", (version_id,))
        return self._decode_version(row) if row else None

    def list_versions(self, file_id: str) -> list[Row]:
        rows = self._all("SELECT * FROM versions WHERE file_id=? ORDER BY seq DESC", (file_id,))
        return [self._decode_version(r) for r in rows]

    def commit_version(self, version_id: str, message: str) -> None:
        self._write([("UPDATE versions SET commit_message=?, status='committed' WHERE id=?",
                      (message, version_id))])

    def mark_saved(self, version_id: str) -> None:
        """Make the version its file's newest explicitly saved one (no write if it is)."""
        row = self._one("SELECT file_id, saved_seq FROM versions WHERE id=?", (version_id,))
        if row is None:
            return
        top = self._one("SELECT max(saved_seq) AS n FROM versions WHERE file_id=?", (row["file_id"],))
        if row["saved_seq"] is not None and top and row["saved_seq"] == top["n"]:
            return  # the common case (re-saving the current kernel): no write
        self._write([(
            "UPDATE versions SET saved_seq=(SELECT coalesce(max(saved_seq), 0) + 1 FROM versions"
            " WHERE file_id=?) WHERE id=?", (row["file_id"], version_id))])

    def newest_saved_version(self, file_id: str) -> Row | None:
        row = self._one("SELECT * FROM versions WHERE file_id=? AND saved_seq IS NOT NULL"
                        " AND status != 'deleted' ORDER BY saved_seq DESC LIMIT 1", (file_id,))
        return self._decode_version(row) if row else None

    _VERSION_CHANGES = ("version_name", "version_description", "status")

    def update_version(self, version_id: str, changes: Row) -> Row:
        """Set name, description or status. Raises :class:`Conflict` when the name is taken."""
        sets = [k for k in changes if k in self._VERSION_CHANGES]
        if sets:
            assignments = ", ".join(f"{k}=?" for k in sets)
            self._write([(f"UPDATE versions SET {assignments} WHERE id=?",
                          [*(changes[k] for k in sets), version_id])])
        return self.get_version(version_id) or {}

    # -- environments ---------------------------------------------------------------
    def list_environments(self) -> list[Row]:
        # Environments are fixed at start-up, and every file response needs them.
        if self._environments is None:
            self._environments = self._all("SELECT * FROM environments ORDER BY tag, name DESC")
        return [dict(e) for e in self._environments]

    def deployments(self, file_id: str) -> dict[str, str]:
        rows = self._all("SELECT * FROM deployments WHERE file_id=?", (file_id,))
        return {r["environment_id"]: r["version_id"] for r in rows}

    def set_deployment(self, file_id: str, environment_id: str, version_id: str) -> None:
        self._write([("INSERT OR REPLACE INTO deployments VALUES (?,?,?)",
                      (file_id, environment_id, version_id))])

    def remove_deployment(self, file_id: str, environment_id: str) -> None:
        self._write([("DELETE FROM deployments WHERE file_id=? AND environment_id=?",
                      (file_id, environment_id))])

    # -- datapoints -----------------------------------------------------------------
    def put_datapoints(self, version_id: str, datapoints: Sequence[tuple[str, Row]]) -> None:
        self._write([("DELETE FROM datapoints WHERE version_id=?", (version_id,))] + [
            ("INSERT INTO datapoints VALUES (?,?,?,?)", (version_id, i, dp_id, _dumps(body)))
            for i, (dp_id, body) in enumerate(datapoints)
        ])

    def list_datapoints(self, version_id: str, page: int, size: int) -> tuple[list[Row], int]:
        total = self._one("SELECT count(*) AS n FROM datapoints WHERE version_id=?", (version_id,))
        rows = self._all(
            "SELECT id, body FROM datapoints WHERE version_id=? ORDER BY idx LIMIT ? OFFSET ?",
            (version_id, size, (page - 1) * size),
        )
        return [{**json.loads(r["body"]), "id": r["id"]} for r in rows], int(total["n"]) if total else 0

    # -- logs -----------------------------------------------------------------------
    _LOG_COLUMNS = ("id", "type", "file_id", "version_id", "created_at", "trace_parent_id",
                    "parent_id", "evaluation_id", "source_datapoint_id")

    def insert_log(self, log: Row) -> None:
        cols = ", ".join(self._LOG_COLUMNS)
        values = [log.get(c) for c in self._LOG_COLUMNS]
        try:
            # Only while its version exists, checked in the insert itself: a call still
            # running when its file is deleted must not leave a log nothing can render.
            inserted = self._write([
                (f"INSERT INTO logs({cols}, body) SELECT {','.join('?' * 10)}"
                 " WHERE EXISTS (SELECT 1 FROM versions WHERE id=?)",
                 [*values, _dumps(log["body"]), log["version_id"]]),
                ("UPDATE files SET last_used_at=? WHERE id=?", (log["created_at"], log["file_id"]))])[0]
        except Conflict as exc:
            raise Conflict(f"log id {log['id']!r} is already taken") from exc
        if not inserted:
            raise Conflict(f"the file of this log ({log['file_id']!r}) was deleted; the log was not stored")

    def insert_logs(self, logs: Sequence[Row]) -> int:
        """Many logs in one transaction (OTLP batches): an id already stored is skipped, so
        a resent batch is harmless, and so is a log whose version was deleted meanwhile.
        Returns how many were new."""
        cols = ", ".join(self._LOG_COLUMNS)
        statements: list[tuple[str, Iterable[Any]]] = [
            (f"INSERT OR IGNORE INTO logs({cols}, body) SELECT {','.join('?' * 10)}"
             " WHERE EXISTS (SELECT 1 FROM versions WHERE id=?)",
             [*(log.get(c) for c in self._LOG_COLUMNS), _dumps(log["body"]), log["version_id"]])
            for log in logs]
        used = {log["file_id"]: log["created_at"] for log in logs}
        statements += [("UPDATE files SET last_used_at=? WHERE id=?", (ts, fid)) for fid, ts in used.items()]
        return sum(self._write(statements)[:len(logs)]) if logs else 0

    def update_log(self, log_id: str, body: Row) -> None:
        self._write([("UPDATE logs SET body=? WHERE id=?", (_dumps(body), log_id))])

    def set_trace_parent(self, log_ids: Sequence[str], trace_parent_id: str | None) -> None:
        self._write([(f"UPDATE logs SET trace_parent_id=? WHERE id IN ({','.join('?' * len(log_ids))})",
                      [trace_parent_id, *log_ids])])

    @staticmethod
    def _decode_log(row: Row) -> Row:
        row["body"] = json.loads(row["body"])
        return row

    def get_log(self, log_id: str) -> Row | None:
        row = self._one("SELECT * FROM logs WHERE id=?", (log_id,))
        return self._decode_log(row) if row else None

    def delete_logs(self, ids: Sequence[str]) -> int:
        found = self._all(f"SELECT id FROM logs WHERE id IN ({','.join('?' * len(ids))})", ids)
        self._write([(f"DELETE FROM logs WHERE id IN ({','.join('?' * len(ids))})", ids)])
        return len(found)

    def list_logs(self, where: Row, page: int, size: int) -> tuple[list[Row], int]:
        """``where`` maps filter names to values: log columns compare equal; ``search``
        matches inside inputs or output, ``metadata`` inside metadata; ``start``/``end``
        bound created_at; ``in_trace`` True/False keeps logs with/without a trace parent."""
        clauses: list[str] = []
        args: list[Any] = []
        for key, value in where.items():
            if value is None:
                continue
            if key in self._LOG_COLUMNS:
                clauses.append(f"{key}=?")
                args.append(value)
            elif key == "search":
                clauses.append("(json_extract(body, '$.inputs') LIKE ? OR json_extract(body, '$.output') LIKE ?)")
                args.extend([f"%{value}%"] * 2)
            elif key == "metadata":
                clauses.append("json_extract(body, '$.metadata') LIKE ?")
                args.append(f"%{value}%")
            elif key in ("start", "end"):
                clauses.append("created_at >= ?" if key == "start" else "created_at <= ?")
                args.append(value)
            elif key == "in_trace":
                clauses.append("trace_parent_id IS NOT NULL" if value else "trace_parent_id IS NULL")
        sql_where = " AND ".join(clauses) or "1=1"
        total = self._one(f"SELECT count(*) AS n FROM logs WHERE {sql_where}", args)
        rows = self._all(
            f"SELECT * FROM logs WHERE {sql_where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            [*args, size, (page - 1) * size],
        )
        return [self._decode_log(r) for r in rows], int(total["n"]) if total else 0

    def child_logs(self, column: str, parent_id: str) -> list[Row]:
        if column not in ("trace_parent_id", "parent_id"):
            raise ValueError(column)
        rows = self._all(f"SELECT * FROM logs WHERE {column}=? ORDER BY seq", (parent_id,))
        return [self._decode_log(r) for r in rows]

    def count_logs(self, file_id: str) -> dict[str, int]:
        rows = self._all("SELECT version_id, count(*) AS n FROM logs WHERE file_id=? GROUP BY version_id",
                         (file_id,))
        return {r["version_id"]: int(r["n"]) for r in rows}

    # -- directories ----------------------------------------------------------------
    def ensure_directories(self, path: str) -> str | None:
        """Create every missing directory of ``path``; return the innermost id or None."""
        parts = [p for p in path.split("/") if p]
        dir_id: str | None = None
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            ts = now()
            self._write([("INSERT OR IGNORE INTO directories VALUES (?,?,?,?)",
                          (new_id("dir"), sub, ts, ts))])
            row = self._one("SELECT id FROM directories WHERE path=?", (sub,))
            dir_id = row["id"] if row else None
        return dir_id

    def get_directory(self, key: str) -> Row | None:
        return self._one("SELECT * FROM directories WHERE id=? OR path=?", (key, key))

    def list_directories(self) -> list[Row]:
        return self._all("SELECT * FROM directories ORDER BY path")

    def move_directory(self, dir_id: str, path: str) -> Row:
        old = self.get_directory(dir_id)
        if old is None:
            raise KeyError(dir_id)
        prefix, n = old["path"] + "/", len(old["path"]) + 1
        ts = now()
        # Exact, case-sensitive prefix match (see files_under).
        under = "substr(path, 1, ?) = ?"
        try:
            self._write([
                (f"UPDATE directories SET path=? || substr(path, ?) WHERE {under}",
                 (path + "/", n + 1, n, prefix)),
                (f"UPDATE files SET path=? || substr(path, ?) WHERE {under}", (path + "/", n + 1, n, prefix)),
                ("UPDATE directories SET path=?, updated_at=? WHERE id=?", (path, ts, dir_id)),
            ])
        except Conflict as exc:
            raise Conflict(f"moving {old['path']!r} to {path!r} collides with an existing path") from exc
        return self.get_directory(dir_id) or {}

    def delete_directory(self, dir_id: str) -> None:
        self._write([("DELETE FROM directories WHERE id=?", (dir_id,))])

    # -- evaluations ----------------------------------------------------------------
    def put_evaluation(self, evaluation: Row) -> None:
        self._write([("INSERT OR REPLACE INTO evaluations VALUES (?,?,?,?,?)",
                      (evaluation["id"], evaluation.get("file_id"), _dumps(evaluation),
                       evaluation["created_at"], evaluation["updated_at"]))])

    def get_evaluation(self, evaluation_id: str) -> Row | None:
        row = self._one("SELECT body FROM evaluations WHERE id=?", (evaluation_id,))
        return json.loads(row["body"]) if row else None

    def list_evaluations(self, file_id: str, page: int, size: int) -> tuple[list[Row], int]:
        total = self._one("SELECT count(*) AS n FROM evaluations WHERE file_id=?", (file_id,))
        rows = self._all("SELECT body FROM evaluations WHERE file_id=? ORDER BY created_at DESC"
                         " LIMIT ? OFFSET ?", (file_id, size, (page - 1) * size))
        return [json.loads(r["body"]) for r in rows], int(total["n"]) if total else 0

    def delete_evaluation(self, evaluation_id: str) -> None:
        self._write([("DELETE FROM evaluations WHERE id=?", (evaluation_id,))])

    # -- idempotent replays -----------------------------------------------------------
    def get_replay(self, key: str) -> Row | None:
        return self._one("SELECT * FROM replays WHERE key=?", (key,))

    def put_replay(self, key: str, fingerprint: str, status: int, content_type: str, body: bytes) -> None:
        self._write([("INSERT OR IGNORE INTO replays VALUES (?,?,?,?,?,?)",
                      (key, fingerprint, status, content_type, body, now()))])
        self._replays_since_prune += 1
        if self._replays_since_prune >= REPLAY_PRUNE_EVERY:
            self._prune_replays()

    def _prune_replays(self) -> None:
        # Replays only need to outlive a client's retries (seconds); keeping every answer
        # would grow the database with each POST.
        cutoff = (datetime.now(timezone.utc) - REPLAY_RETENTION).isoformat()
        with self._lock:
            self._conn.execute("DELETE FROM replays WHERE created_at < ?", (cutoff,))
            self._replays_since_prune = 0
