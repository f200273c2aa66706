"""The :class:`~.base.Store` on one SQLite file.

Durability: every write transaction is committed before the method returns, and routes
answer only after that, so an acknowledged write survives the process being killed. WAL
with ``synchronous=NORMAL`` keeps committed transactions across a killed process (only a
power cut can drop the last few).

Concurrency: connections come from a small pool, so reads on several threads run at once
(WAL readers do not block each other or the writer). Writers in this process queue on one
lock (a hand-over, where SQLite's busy handler would sleep and poll); writers in other
processes on the same file (``--workers``) are held off by ``BEGIN IMMEDIATE`` and the busy
timeout. ``":memory:"`` is a private temporary file, so every connection sees one database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

from . import migrations
from .base import Row, now
from .sql import Conn, SqlStore

BUSY_TIMEOUT_S = 5.0
_IDLE_MAX = 32  # idle connections kept for reuse; more are closed when released


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class _SqliteConn:
    def __init__(self, path: str) -> None:
        self.raw = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.raw.row_factory = _dict_row
        self.raw.create_function("name_of", 1, _name_of, deterministic=True)
        self.raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        self.raw.execute("PRAGMA synchronous=NORMAL")

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self.raw.execute(sql, tuple(args)).fetchall()

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        return self.raw.execute(sql, tuple(args)).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        return self.raw.executemany(sql, [tuple(r) for r in rows]).rowcount

    def script(self, sql: str) -> None:
        """Each statement of ``sql`` in turn, inside the caller's transaction (unlike
        ``executescript``, which commits first)."""
        statement = ""
        # Cut at every ';', and run once the text is a whole statement (a trigger body holds
        # several ';' before its end).
        for piece in sql.split(";"):
            statement += piece + ";"
            if sqlite3.complete_statement(statement):
                if statement.strip(" \n\t;"):
                    self._run_step(statement)
                statement = ""

    def _run_step(self, statement: str) -> None:
        try:
            self.raw.execute(statement)
        except sqlite3.OperationalError as exc:
            # ADD COLUMN of a column that is there already: a database from a development
            # build that added it before migrations were numbered. Nothing to do.
            if "duplicate column name" not in str(exc):
                raise


def _begin_immediate(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for a writer in another process (``--workers``) in short
    steps: SQLite's own busy handler backs off to sleeps of 25-100 ms, which under steady
    contention leaves the lock idle most of the time."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline, delay = time.monotonic() + BUSY_TIMEOUT_S, 0.0002
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.002)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


class SqliteStore(SqlStore):
    """:class:`~.base.Store` on one SQLite file (or ``":memory:"``)."""

    INTEGRITY_ERRORS = (sqlite3.IntegrityError,)

    def __init__(self, path: str = ":memory:") -> None:
        super().__init__()
        self.path = path
        self._tempdir: str | None = None
        if path == ":memory:":
            self._tempdir = tempfile.mkdtemp(prefix="humanloop-memory-")
            path = os.path.join(self._tempdir, "db.sqlite")
        self._db_file = path
        self._pool_lock = threading.Lock()
        self._idle: list[_SqliteConn] = []
        self._open: list[_SqliteConn] = []
        self._write_lock = threading.Lock()
        self._closed = False
        conn = self._acquire()
        try:
            conn.raw.execute("PRAGMA journal_mode=WAL")
            self._migrate(conn)
        finally:
            self._release(conn)
        self._seed_environments()
        self._prune_replays()

    def _migrate(self, conn: _SqliteConn) -> None:
        self._begin(conn)
        try:
            conn.run(migrations.SCHEMA_TABLE)
            row = conn.all("SELECT max(version) AS v FROM schema_version")[0]
            for migration in migrations.pending(int(row["v"] or 0)):
                conn.script(migration.script("sqlite"))
                conn.run("INSERT INTO schema_version VALUES (?,?,?)",
                         (migration.version, migration.name, now()))
        except BaseException:
            self._rollback(conn)
            raise
        self._commit(conn)

    # -- connections ------------------------------------------------------------------
    def _acquire(self) -> _SqliteConn:
        with self._pool_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the store is closed")
            if self._idle:
                return self._idle.pop()
        conn = _SqliteConn(self._db_file)
        with self._pool_lock:
            self._open.append(conn)
        return conn

    def _release(self, conn: Conn) -> None:
        assert isinstance(conn, _SqliteConn)
        with self._pool_lock:
            if not self._closed and len(self._idle) < _IDLE_MAX:
                self._idle.append(conn)
                return
            if conn in self._open:
                self._open.remove(conn)
        conn.raw.close()

    def _begin(self, conn: Conn) -> None:
        assert isinstance(conn, _SqliteConn)
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked (another write held it for "
                                           f"{BUSY_TIMEOUT_S:g}s)")
        try:
            _begin_immediate(conn.raw)
        except BaseException:
            self._write_lock.release()
            raise

    def _commit(self, conn: Conn) -> None:
        assert isinstance(conn, _SqliteConn)
        try:
            conn.raw.execute("COMMIT")
        except BaseException:
            conn.raw.execute("ROLLBACK")
            raise
        finally:
            self._write_lock.release()

    def _rollback(self, conn: Conn) -> None:
        assert isinstance(conn, _SqliteConn)
        try:
            if conn.raw.in_transaction:
                conn.raw.execute("ROLLBACK")
        finally:
            self._write_lock.release()

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            conns, self._open, self._idle = self._open, [], []
        for conn in conns:
            conn.raw.close()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
