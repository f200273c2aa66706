"""The :class:`~.base.Store` on PostgreSQL (psycopg 3 and a connection pool), for several replicas.

Chosen by a ``postgresql://`` URL (``humanloop-server --db postgresql://...``). Several
server processes (``--workers``) or hosts may share one database: everything that must hold
across them rests on the database, never on a lock in one process. Unique keys decide
between concurrent creators (a path, a kernel hash, an Idempotency-Key); a read-modify-write
(a dataset edit, numbering a save) locks its file row with ``SELECT ... FOR UPDATE``;
migrations run under a transaction-scoped advisory lock, so replicas starting together
migrate once.

Durability: a write method returns after ``COMMIT``, which with PostgreSQL's defaults
(``fsync=on``, ``synchronous_commit=on``) is on disk, so an acknowledged write survives a
killed server process and a killed database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

try:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("PostgreSQL storage needs psycopg: pip install 'humanloop-core[postgres]'") from exc

from . import migrations
from .base import Row, now
from .sql import Conn, SqlStore

POOL_MAX = 16
# Any constant: the advisory lock replicas take while migrating.
_MIGRATION_LOCK = 0x686C6D67


@functools.lru_cache(maxsize=1024)
def _placeholders(sql: str) -> str:
    # The shared queries are written with ``?``; psycopg uses ``%s``. They hold no literal
    # ``%`` or ``?`` (LIKE patterns travel as arguments).
    return sql.replace("?", "%s")


class _PgConn:
    def __init__(self, raw: psycopg.Connection[Row]) -> None:
        self.raw = raw

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        cursor = self.raw.execute(_placeholders(sql), tuple(args)) if args else self.raw.execute(sql)
        return cursor.fetchall() if cursor.description else []

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        cursor = self.raw.execute(_placeholders(sql), tuple(args)) if args else self.raw.execute(sql)
        return cursor.rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        # executemany sends the rows in pipeline mode: one wait for the lot, not one each.
        with self.raw.cursor() as cursor:
            cursor.executemany(_placeholders(sql), [tuple(r) for r in rows])
            return cursor.rowcount


class PostgresStore(SqlStore):
    """:class:`~.base.Store` on the PostgreSQL database at ``url``.

    Args:
        url: A libpq URL, e.g. ``postgresql://user:password@host:5432/humanloop``.
        pool_max: Connections this process keeps at most (each server worker has its own).
    """

    LIKE = "ILIKE"
    FILE_ORDER = "seq"
    LOCK_FILE_SQL = "SELECT id FROM files WHERE id=? FOR UPDATE"
    INTEGRITY_ERRORS = (psycopg.errors.IntegrityError,)

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        super().__init__()
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url, min_size=1, max_size=pool_max, open=True, name="humanloop",
            kwargs={"autocommit": True, "row_factory": dict_row},
        )
        try:
            self._pool.wait(timeout=30)
            self._migrate()
            self._seed_environments()
            self._prune_replays()
        except BaseException:
            self._pool.close()
            raise

    def __repr__(self) -> str:  # never the URL: it may hold a password
        return "PostgresStore()"

    def _migrate(self) -> None:
        conn = self._acquire()
        try:
            with conn.raw.transaction():
                conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                conn.raw.execute(migrations.SCHEMA_TABLE)
                row = conn.all("SELECT max(version) AS v FROM schema_version")[0]
                for migration in migrations.pending(int(row["v"] or 0)):
                    conn.raw.execute(migration.script("postgres").encode())
                    conn.raw.execute("INSERT INTO schema_version VALUES (%s,%s,%s)",
                                     (migration.version, migration.name, now()))
        finally:
            self._release(conn)

    # -- connections ------------------------------------------------------------------
    def _acquire(self) -> _PgConn:
        return _PgConn(self._pool.getconn())

    def _release(self, conn: Conn) -> None:
        assert isinstance(conn, _PgConn)
        self._pool.putconn(conn.raw)

    def _begin(self, conn: Conn) -> None:
        conn.run("BEGIN")

    def _commit(self, conn: Conn) -> None:
        conn.run("COMMIT")

    def _rollback(self, conn: Conn) -> None:
        assert isinstance(conn, _PgConn)
        if not conn.raw.closed:
            conn.run("ROLLBACK")

    def close(self) -> None:
        self._pool.close()
