"""The queries both stores run, written once in the SQL that SQLite and PostgreSQL share.

A subclass supplies connections (:class:`Conn`), how a write transaction begins and ends,
and the few dialect words that differ. Queries use ``?`` placeholders.

Transactions: each write method is one transaction, committed before it returns. Inside
``store.transaction()`` every call joins one transaction instead (see :class:`_Unit`); it is
found through a context variable, so threads the request hands work to (which inherit the
context) join it too.
"""

from __future__ import annotations

import json
import threading
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, Protocol

from ..evalstore import EvalTables
from ..otlp_store import SpanTables
from . import base
from .base import PENDING, Conflict, Row, dumps, like_escape, new_id, now


class Conn(Protocol):
    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...
    def run(self, sql: str, args: Sequence[Any] = ()) -> int: ...
    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """One statement over many argument rows (pipelined on PostgreSQL, not a round trip
        each); the total of rows changed."""
        ...


class _Unit:
    """``store.transaction()``: one connection and one transaction for everything inside."""

    def __init__(self, store: SqlStore, lock_file: str | None) -> None:
        self.store, self.lock_file = store, lock_file
        self.conn: Conn | None = None
        self.done = False
        self.mutex = threading.RLock()
        self._outer: _Unit | None = None
        self._token: Token[_Unit | None] | None = None

    def __enter__(self) -> _Unit:
        outer = self.store._unit()
        if outer is not None:  # nested: the outer transaction is the one that commits
            self._outer = outer
            outer._start(self.lock_file)
            return self
        self._token = _CURRENT.set(self)
        try:
            self._start(self.lock_file)
        except BaseException:
            _CURRENT.reset(self._token)
            raise
        return self

    def _start(self, lock_file: str | None) -> None:
        self.begin()
        if lock_file is not None and self.store.LOCK_FILE_SQL:
            with self.mutex:
                assert self.conn is not None
                self.conn.all(self.store.LOCK_FILE_SQL, (lock_file,))

    def begin(self) -> None:
        with self.mutex:
            if self.conn is None and not self.done:
                conn = self.store._acquire()
                try:
                    self.store._begin(conn)
                except BaseException:
                    self.store._release(conn)
                    raise
                self.conn = conn

    def _finish(self, ok: bool) -> None:
        with self.mutex:
            if self.done:
                return
            self.done = True
            conn, self.conn = self.conn, None
            if conn is None:
                return
            try:
                (self.store._commit if ok else self.store._rollback)(conn)
            finally:
                self.store._release(conn)

    def commit(self) -> None:
        if self._outer is None:
            self._finish(True)

    def rollback(self) -> None:
        if self._outer is None:
            self._finish(False)

    def __exit__(self, *exc: object) -> None:
        if self._outer is not None:
            return
        try:
            self._finish(exc[0] is None)
        finally:
            assert self._token is not None
            _CURRENT.reset(self._token)


_CURRENT: ContextVar[_Unit | None] = ContextVar("humanloop_store_unit", default=None)


def _mark_applied(conn: Conn, applies: str) -> None:
    claim = base.APPLYING.get()
    if claim is None:
        return
    key, owner = claim
    if conn.run("UPDATE replays SET applied=coalesce(applied, ?) WHERE key=? AND owner=? AND status=?",
                (applies, key, owner, PENDING)):
        return
    # Not pending under this owner. Only a retry holding the key now makes this write wrong;
    # work the request left behind (a task it started) may write after its answer was kept.
    holder = conn.all("SELECT owner FROM replays WHERE key=?", (key,))
    if holder and holder[0]["owner"] != owner:
        raise base.KeyTakenOver()

_LOG_COLUMNS = ("id", "type", "file_id", "version_id", "created_at", "trace_parent_id",
                "parent_id", "evaluation_id", "source_datapoint_id")


class SqlStore(EvalTables, SpanTables):
    """:class:`~.base.Store` over SQL; subclasses provide connections (the abstract methods)."""

    # Dialect words: a case-insensitive LIKE, the column giving files their insertion order,
    # and a statement that locks one file row for a transaction (None: the transaction
    # itself excludes other writers, as SQLite's does).
    LIKE = "LIKE"
    FILE_ORDER = "rowid"
    LOCK_FILE_SQL: str | None = None
    # The driver's errors for a unique key already taken; raised as :class:`Conflict`.
    INTEGRITY_ERRORS: tuple[type[Exception], ...] = ()

    def __init__(self) -> None:
        self._environments: list[Row] | None = None
        self._replays_since_prune = 0

    @abstractmethod
    def _acquire(self) -> Conn: ...
    @abstractmethod
    def _release(self, conn: Conn) -> None: ...
    @abstractmethod
    def _begin(self, conn: Conn) -> None: ...
    @abstractmethod
    def _commit(self, conn: Conn) -> None: ...
    @abstractmethod
    def _rollback(self, conn: Conn) -> None: ...
    @abstractmethod
    def close(self) -> None: ...

    # -- plumbing ---------------------------------------------------------------------
    def transaction(self, *, lock_file: str | None = None) -> _Unit:
        return _Unit(self, lock_file)

    def _unit(self) -> _Unit | None:
        unit = _CURRENT.get()
        return unit if unit is not None and unit.store is self and not unit.done else None

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        unit = self._unit()
        if unit is not None and unit.conn is not None:
            with unit.mutex:
                return unit.conn.all(sql, args)
        conn = self._acquire()
        try:
            return conn.all(sql, args)
        finally:
            self._release(conn)

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    @contextmanager
    def _tx(self, repeatable: bool = False, applies: str = "") -> Iterator[Conn]:
        """A write transaction: the current unit's, else one of its own. A write that is not
        ``repeatable`` (a retry would apply it twice) also marks the request's reserved
        Idempotency-Key as applied (``applies``: what it wrote), in the same transaction."""
        try:
            with self._raw_tx() as conn:
                yield conn
                if not repeatable:
                    _mark_applied(conn, applies)
        except self.INTEGRITY_ERRORS as exc:
            raise Conflict(f"already taken: {exc}") from exc

    @contextmanager
    def _raw_tx(self) -> Iterator[Conn]:
        unit = self._unit()
        if unit is not None:
            unit.begin()
            with unit.mutex:
                assert unit.conn is not None
                yield unit.conn
            return
        conn = self._acquire()
        try:
            self._begin(conn)
            try:
                yield conn
            except BaseException:
                self._rollback(conn)
                raise
            self._commit(conn)
        finally:
            self._release(conn)

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]], repeatable: bool = False,
               applies: str = "") -> list[int]:
        """Run statements in one transaction; the number of rows each changed."""
        with self._tx(repeatable, applies) as conn:
            return [conn.run(sql, args) for sql, args in statements]

    # -- files ------------------------------------------------------------------------
    def get_file(self, file_id: str) -> Row | None:
        row = self._one("SELECT * FROM files WHERE id=?", (file_id,))
        return self._file(row) if row else None

    def get_file_by_path(self, path: str) -> Row | None:
        row = self._one("SELECT * FROM files WHERE path=?", (path,))
        return self._file(row) if row else None

    def create_file(self, prefix: str, type_: str, path: str) -> Row:
        ts = now()
        # ON CONFLICT + re-read: two requests creating one path at once both get the winner.
        self._write([("INSERT INTO files(id, type, path, created_at, updated_at, last_used_at)"
                      " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                      (new_id(prefix), type_, path, ts, ts, ts))], repeatable=True)
        return self.get_file_by_path(path) or {}

    def move_file(self, file_id: str, path: str) -> Row:
        self._write([("UPDATE files SET path=?, updated_at=? WHERE id=?", (path, now(), file_id))])
        return self.get_file(file_id) or {}

    def set_file_meta(self, file_id: str, meta: Row) -> None:
        self._write([("UPDATE files SET meta=?, updated_at=? WHERE id=?",
                      (json.dumps(meta, separators=(",", ":")), now(), file_id))])

    def touch_file(self, file_id: str) -> None:
        self._write([("UPDATE files SET last_used_at=? WHERE id=?", (now(), file_id))], repeatable=True)

    def delete_file(self, file_id: str) -> None:
        versions = "SELECT id FROM versions WHERE file_id=?"
        self._write([
            (f"DELETE FROM datapoints WHERE version_id IN ({versions})", (file_id,)),
            ("DELETE FROM versions WHERE file_id=?", (file_id,)),
            ("DELETE FROM deployments WHERE file_id=?", (file_id,)),
            ("DELETE FROM logs WHERE file_id=?", (file_id,)),
            ("DELETE FROM log_counts WHERE file_id=?", (file_id,)),
            ("DELETE FROM file_env_vars WHERE file_id=?", (file_id,)),
            ("DELETE FROM files WHERE id=?", (file_id,)),
        ])

    def list_files(self, types: Sequence[str], name: str | None, page: int, size: int,
                   sort_by: str | None, desc: bool) -> tuple[list[Row], int]:
        where = f"type IN ({','.join('?' * len(types))})"
        args: list[Any] = list(types)
        if name:
            # The name is the last path segment, matched without regard to ASCII case.
            where += f" AND name_of(path) {self.LIKE} ? ESCAPE '\\'"
            args.append(f"%{like_escape(name)}%")
        column = {"name": "name_of(path)", "created_at": "created_at", "updated_at": "updated_at"}.get(
            sort_by or "", "created_at")
        order = "DESC" if desc else "ASC"
        total = self._one(f"SELECT count(*) AS n FROM files WHERE {where}", args)
        rows = self._all(f"SELECT * FROM files WHERE {where} ORDER BY {column} {order},"
                         f" {self.FILE_ORDER} {order} LIMIT ? OFFSET ?", [*args, size, (page - 1) * size])
        return [self._file(r) for r in rows], int(total["n"]) if total else 0

    def _file(self, row: Row) -> Row:
        row.pop("seq", None)  # PostgreSQL's insertion order column; SQLite's rowid is hidden
        row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
        return row

    def files_under(self, directory_path: str) -> list[Row]:
        prefix = f"{directory_path}/" if directory_path else ""
        # An exact, case-sensitive prefix (substr), not LIKE: `_` and `%` in a path are letters.
        rows = self._all("SELECT * FROM files WHERE substr(path, 1, ?)=? ORDER BY path",
                         (len(prefix), prefix))
        return [self._file(r) for r in rows if "/" not in r["path"][len(prefix):]]

    # -- versions ---------------------------------------------------------------------
    def put_version(self, file_id: str, prefix: str, kernel_hash: str, kernel: Row,
                    commit_message: str | None) -> Row:
        """The version of ``file_id`` with this kernel hash, created when new."""
        select = "SELECT * FROM versions WHERE file_id=? AND hash=?"
        found = self._one(select, (file_id, kernel_hash))
        if found is not None:  # the common case (a call with an unchanged kernel): no write
            return self._decode_version(found)
        ts = now()
        with self._tx(repeatable=True) as conn:
            # The UNIQUE(file_id, hash) constraint decides between concurrent creators.
            created = conn.run("INSERT INTO versions(id, file_id, hash, kernel, commit_message, status,"
                               " created_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                               (new_id(prefix), file_id, kernel_hash, dumps(kernel), commit_message,
                                "committed", ts))
            if created:
                conn.run("UPDATE files SET updated_at=? WHERE id=?", (ts, file_id))
            rows = conn.all(select, (file_id, kernel_hash))
        return self._decode_version(rows[0] if rows else {})

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
                      (message, version_id))], repeatable=True)

    def mark_saved(self, version_id: str) -> None:
        """Make the version its file's newest explicitly saved one (no write if it is)."""
        row = self._one("SELECT file_id, saved_seq FROM versions WHERE id=?", (version_id,))
        if row is None:
            return
        top = self._one("SELECT max(saved_seq) AS n FROM versions WHERE file_id=?", (row["file_id"],))
        if row["saved_seq"] is not None and top and row["saved_seq"] == top["n"]:
            return  # the common case (re-saving the current kernel): no write
        with self._tx(repeatable=True) as conn:
            if self.LOCK_FILE_SQL:  # two replicas saving at once must not share a number
                conn.all(self.LOCK_FILE_SQL, (row["file_id"],))
            conn.run("UPDATE versions SET saved_seq=(SELECT coalesce(max(saved_seq), 0) + 1 FROM versions"
                     " WHERE file_id=?) WHERE id=?", (row["file_id"], version_id))

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
                          [*(changes[k] for k in sets), version_id])], repeatable=True)
        return self.get_version(version_id) or {}

    # -- environments -----------------------------------------------------------------
    def list_environments(self) -> list[Row]:
        # Environments are fixed at start-up, and every file response needs them.
        if self._environments is None:
            self._environments = self._all("SELECT * FROM environments ORDER BY tag, name DESC")
        return [dict(e) for e in self._environments]

    def _seed_environments(self) -> None:
        self._write([("INSERT INTO environments VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                      (f"env_{name}", name, tag, now())) for name, tag in base.DEFAULT_ENVIRONMENTS])

    def deployments(self, file_id: str) -> dict[str, str]:
        rows = self._all("SELECT * FROM deployments WHERE file_id=?", (file_id,))
        return {r["environment_id"]: r["version_id"] for r in rows}

    def set_deployment(self, file_id: str, environment_id: str, version_id: str) -> None:
        self._write([("INSERT INTO deployments VALUES (?,?,?) ON CONFLICT(file_id, environment_id)"
                      " DO UPDATE SET version_id=excluded.version_id",
                      (file_id, environment_id, version_id))], repeatable=True)

    def remove_deployment(self, file_id: str, environment_id: str) -> None:
        self._write([("DELETE FROM deployments WHERE file_id=? AND environment_id=?",
                      (file_id, environment_id))])

    # -- environment variables of a file (tools) ----------------------------------------
    def env_vars(self, file_id: str) -> dict[str, str]:
        rows = self._all("SELECT * FROM file_env_vars WHERE file_id=? ORDER BY name", (file_id,))
        return {r["name"]: r["value"] for r in rows}

    def set_env_vars(self, file_id: str, values: dict[str, str]) -> None:
        self._write([("INSERT INTO file_env_vars VALUES (?,?,?) ON CONFLICT(file_id, name)"
                      " DO UPDATE SET value=excluded.value", (file_id, name, value))
                     for name, value in values.items()], repeatable=True)

    def delete_env_var(self, file_id: str, name: str) -> None:
        self._write([("DELETE FROM file_env_vars WHERE file_id=? AND name=?", (file_id, name))])

    # -- datapoints -------------------------------------------------------------------
    def put_datapoints(self, version_id: str, datapoints: Sequence[tuple[str, Row]]) -> None:
        with self._tx() as conn:
            conn.run("DELETE FROM datapoints WHERE version_id=?", (version_id,))
            if datapoints:
                conn.run_many("INSERT INTO datapoints VALUES (?,?,?,?)",
                              [(version_id, i, dp_id, dumps(body)) for i, (dp_id, body) in enumerate(datapoints)])

    def list_datapoints(self, version_id: str, page: int, size: int) -> tuple[list[Row], int]:
        total = self._one("SELECT count(*) AS n FROM datapoints WHERE version_id=?", (version_id,))
        rows = self._all(
            "SELECT id, body FROM datapoints WHERE version_id=? ORDER BY idx LIMIT ? OFFSET ?",
            (version_id, size, (page - 1) * size),
        )
        return [{**json.loads(r["body"]), "id": r["id"]} for r in rows], int(total["n"]) if total else 0

    # -- logs -------------------------------------------------------------------------
    def insert_log(self, log: Row) -> None:
        values = [log.get(c) for c in _LOG_COLUMNS]
        try:
            # Only while its version exists, checked in the insert itself: a call still
            # running when its file is deleted must not leave a log nothing can render.
            inserted = self._write([
                (f"INSERT INTO logs({', '.join(_LOG_COLUMNS)}, body) SELECT {','.join('?' * 10)}"
                 " WHERE EXISTS (SELECT 1 FROM versions WHERE id=?)",
                 [*values, dumps(log["body"]), log["version_id"]]),
                ("UPDATE files SET last_used_at=? WHERE id=?", (log["created_at"], log["file_id"]))],
                applies=log["id"])[0]
        except Conflict as exc:
            raise Conflict(f"log id {log['id']!r} is already taken") from exc
        if not inserted:
            raise Conflict(f"the file of this log ({log['file_id']!r}) was deleted; the log was not stored")

    def insert_logs(self, logs: Sequence[Row]) -> int:
        """Many logs in one transaction (OTLP batches): an id already stored is skipped, so
        a resent batch is harmless, and so is a log whose version was deleted meanwhile.
        Returns how many were new."""
        if not logs:
            return 0
        used = {log["file_id"]: log["created_at"] for log in logs}
        with self._tx(repeatable=True) as conn:
            new = conn.run_many(
                f"INSERT INTO logs({', '.join(_LOG_COLUMNS)}, body) SELECT {','.join('?' * 10)}"
                " WHERE EXISTS (SELECT 1 FROM versions WHERE id=?) ON CONFLICT DO NOTHING",
                [[*(log.get(c) for c in _LOG_COLUMNS), dumps(log["body"]), log["version_id"]] for log in logs])
            conn.run_many("UPDATE files SET last_used_at=? WHERE id=?", [(ts, fid) for fid, ts in used.items()])
        return new

    def update_log(self, log_id: str, body: Row) -> None:
        self._write([("UPDATE logs SET body=? WHERE id=?", (dumps(body), log_id))])

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
        marks = ",".join("?" * len(ids))
        with self._tx() as conn:
            return conn.run(f"DELETE FROM logs WHERE id IN ({marks})", ids)

    def list_logs(self, where: Row, page: int, size: int) -> tuple[list[Row], int]:
        """See :func:`~.base.log_filters` for ``where``."""
        sql_where, args = base.log_filters(where, _LOG_COLUMNS, self.LIKE)
        total = self._one(f"SELECT count(*) AS n FROM logs WHERE {sql_where}", args)
        rows = self._all(f"SELECT * FROM logs WHERE {sql_where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                         [*args, size, (page - 1) * size])
        return [self._decode_log(r) for r in rows], int(total["n"]) if total else 0

    def child_logs(self, column: str, parent_id: str) -> list[Row]:
        if column not in ("trace_parent_id", "parent_id"):
            raise ValueError(column)
        rows = self._all(f"SELECT * FROM logs WHERE {column}=? ORDER BY seq", (parent_id,))
        return [self._decode_log(r) for r in rows]

    def count_logs(self, file_id: str) -> dict[str, int]:
        # Kept by triggers (migration 6), so this reads a row per version, not every log.
        rows = self._all("SELECT version_id, n FROM log_counts WHERE file_id=? AND n > 0", (file_id,))
        return {r["version_id"]: int(r["n"]) for r in rows}

    # -- directories ------------------------------------------------------------------
    def ensure_directories(self, path: str) -> str | None:
        """Create every missing directory of ``path``; return the innermost id or None."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            return None
        subs = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
        ts = now()
        self._write([("INSERT INTO directories VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                      (new_id("dir"), sub, ts, ts)) for sub in subs], repeatable=True)
        row = self._one("SELECT id FROM directories WHERE path=?", (subs[-1],))
        return row["id"] if row else None

    def get_directory(self, key: str) -> Row | None:
        return self._one("SELECT * FROM directories WHERE id=? OR path=?", (key, key))

    def list_directories(self) -> list[Row]:
        return self._all("SELECT * FROM directories ORDER BY path")

    def move_directory(self, dir_id: str, path: str) -> Row:
        old = self.get_directory(dir_id)
        if old is None:
            raise KeyError(dir_id)
        prefix = old["path"] + "/"
        under = "substr(path, 1, ?)=?"  # exact, case-sensitive prefix
        ts = now()
        try:
            self._write([
                (f"UPDATE directories SET path=? || substr(path, ?) WHERE {under}",
                 (path + "/", len(prefix) + 1, len(prefix), prefix)),
                (f"UPDATE files SET path=? || substr(path, ?) WHERE {under}",
                 (path + "/", len(prefix) + 1, len(prefix), prefix)),
                ("UPDATE directories SET path=?, updated_at=? WHERE id=?", (path, ts, dir_id)),
            ])
        except Conflict as exc:
            raise Conflict(f"moving {old['path']!r} to {path!r} collides with an existing path") from exc
        return self.get_directory(dir_id) or {}

    def delete_directory(self, dir_id: str) -> None:
        self._write([("DELETE FROM directories WHERE id=?", (dir_id,))])

    # -- evaluations ------------------------------------------------------------------
    def put_evaluation(self, evaluation: Row) -> None:
        self._write([("INSERT INTO evaluations VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                      " file_id=excluded.file_id, body=excluded.body, updated_at=excluded.updated_at",
                      (evaluation["id"], evaluation.get("file_id"), dumps(evaluation),
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
        row = self._one("SELECT * FROM replays WHERE key=?", (key,))
        if row is not None:
            row["body"] = bytes(row["body"])
        return row

    def reserve_replay(self, key: str, fingerprint: str, owner: str) -> Row | None:
        ts = now()
        with self._tx(repeatable=True) as conn:
            # The primary key decides between concurrent requests with one key, on any replica.
            if conn.run("INSERT INTO replays(key, fingerprint, status, content_type, body, created_at,"
                        " owner) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        (key, fingerprint, PENDING, "", b"", ts, owner)):
                reserved = True
            else:  # taken over only when its owner's lease ran out
                reserved = bool(conn.run(
                    "UPDATE replays SET owner=?, fingerprint=?, created_at=? WHERE key=? AND status=?"
                    " AND applied IS NULL AND created_at < ?", (owner, fingerprint, ts, key, PENDING,
                                            base.ago(base.IDEMPOTENCY_LEASE))))
        self._count_replay()
        return None if reserved else self.get_replay(key)

    def complete_replay(self, key: str, owner: str, status: int, content_type: str,
                        body: bytes) -> bool:
        with self._tx(repeatable=True) as conn:
            return bool(conn.run("UPDATE replays SET status=?, content_type=?, body=?, created_at=?"
                                 " WHERE key=? AND owner=? AND status=?",
                                 (status, content_type, body, now(), key, owner, PENDING)))

    def release_replay(self, key: str, owner: str) -> None:
        self._write([("DELETE FROM replays WHERE key=? AND owner=? AND status=?", (key, owner, PENDING))],
                    repeatable=True)

    def put_replay(self, key: str, fingerprint: str, status: int, content_type: str, body: bytes) -> None:
        self._write([("INSERT INTO replays(key, fingerprint, status, content_type, body, created_at)"
                      " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                      (key, fingerprint, status, content_type, body, now()))], repeatable=True)
        self._count_replay()

    def _count_replay(self) -> None:
        self._replays_since_prune += 1
        if self._replays_since_prune >= base.REPLAY_PRUNE_EVERY and self._unit() is None:
            self._prune_replays()

    def _prune_replays(self) -> None:
        # Replays only need to outlive a client's retries (seconds); keeping every answer
        # would grow the database with each POST.
        self._replays_since_prune = 0
        self._write([("DELETE FROM replays WHERE created_at < ?", (base.ago(base.REPLAY_RETENTION),))],
                    repeatable=True)

    def schema_version(self) -> int:
        row = self._one("SELECT max(version) AS v FROM schema_version")
        return int(row["v"]) if row and row["v"] is not None else 0
