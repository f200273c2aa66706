"""Storage behind the server: the :class:`Store` protocol, on SQLite or PostgreSQL.

Routes and services speak only to :class:`Store`; rows come back as plain dicts with JSON
columns decoded. ``base`` holds the protocol and the pure helpers, ``sql`` the queries both
stores share, ``sqlite`` and ``postgres`` the connections, ``migrations`` the schema (how to
add a migration is described there).
"""

from __future__ import annotations

from .base import (
    DEFAULT_ENVIRONMENTS,
    IDEMPOTENCY_LEASE,
    REPLAY_PRUNE_EVERY,
    REPLAY_RETENTION,
    Conflict,
    Row,
    Store,
    Transaction,
    new_id,
    now,
)
from .sqlite import SqliteStore


def is_postgres_url(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def describe(db: str) -> str:
    """``db`` for a log line or a repr: a PostgreSQL URL without its password."""
    if not is_postgres_url(db):
        return db
    from urllib.parse import urlsplit

    parts = urlsplit(db)
    user = f"{parts.username}@" if parts.username else ""
    host = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")
    return f"{parts.scheme}://{user}{host}{parts.path}"


def open_store(db: str) -> Store:
    """The store for ``db``: a ``postgresql://`` URL, a SQLite file path, or ``":memory:"``."""
    if is_postgres_url(db):
        from .postgres import PostgresStore

        store: Store = PostgresStore(db)
        return store
    return SqliteStore(db)


__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "IDEMPOTENCY_LEASE",
    "REPLAY_PRUNE_EVERY",
    "REPLAY_RETENTION",
    "Conflict",
    "Row",
    "SqliteStore",
    "Store",
    "Transaction",
    "describe",
    "is_postgres_url",
    "new_id",
    "now",
    "open_store",
]
