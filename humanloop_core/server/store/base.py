"""What the server needs from storage (:class:`Store`), and the pure helpers both stores share."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from ..errors import ApiProblem
from ..evalstore import EvalTables
from ..otlp_store import SpanTables

Row = dict[str, Any]

REPLAY_RETENTION = timedelta(hours=1)
REPLAY_PRUNE_EVERY = 500
# How long a reserved Idempotency-Key belongs to the request that reserved it. A retry that
# finds the key still reserved waits; once the lease is over (the first server died, or the
# request outlived it) the retry takes the key over and the first request can no longer
# commit under it.
IDEMPOTENCY_LEASE = timedelta(seconds=30)
DEFAULT_ENVIRONMENTS = (("production", "default"), ("staging", "other"), ("development", "other"))
# ``replays.status`` of a key that is reserved but not answered yet.
PENDING = 0


# The Idempotency-Key (key, owner) the current request holds. Every write a retry would
# repeat marks the key as applied in its own transaction, so a crash between the write and
# the stored answer can not lead a retry to write again.
APPLYING: ContextVar[tuple[str, str] | None] = ContextVar("humanloop_applying", default=None)


@contextmanager
def applying(key: str, owner: str) -> Iterator[None]:
    token = APPLYING.set((key, owner))
    try:
        yield
    finally:
        APPLYING.reset(token)


class Conflict(Exception):
    """A write refused because another row holds its unique key (a path, a log id) or the
    row it belongs to is gone. The server answers 409 with this message."""


class KeyTakenOver(ApiProblem):
    """The request's Idempotency-Key was taken over by a retry after its lease ran out."""

    def __init__(self) -> None:
        super().__init__(409, "this request outlived its Idempotency-Key's lease and a retry with "
                              "the same key took it over: nothing of this request was stored")


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def ago(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) - delta).isoformat()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def like_escape(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern written with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Transaction(Protocol):
    """Every store call made inside (by this task or thread, and by threads it hands work
    to, as they inherit its context) belongs to one database transaction."""

    def __enter__(self) -> Transaction: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None:
        """Commit now (from any thread); leaving the block afterwards only forgets it."""


class Store(EvalTables, SpanTables, Protocol):
    """What the server needs from storage (the evaluation tables' methods come from
    :class:`~humanloop_core.server.evalstore.EvalTables`). Paths are ``/``-separated, without leading slash."""

    # units of work
    def transaction(self, *, lock_file: str | None = None) -> Transaction:
        """One transaction for the calls inside, for a read-modify-write. ``lock_file`` holds
        that file's edits: another transaction naming it, on any replica, waits. Keep it short
        and synchronous (no awaits inside): it holds the database's write lock on SQLite."""
        ...
    # files and versions
    def get_file(self, file_id: str) -> Row | None: ...
    def get_file_by_path(self, path: str) -> Row | None: ...
    def create_file(self, prefix: str, type_: str, path: str) -> Row: ...
    def move_file(self, file_id: str, path: str) -> Row: ...
    def touch_file(self, file_id: str) -> None: ...
    def set_file_meta(self, file_id: str, meta: Row) -> None: ...
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
    def env_vars(self, file_id: str) -> dict[str, str]: ...
    def set_env_vars(self, file_id: str, values: dict[str, str]) -> None: ...
    def delete_env_var(self, file_id: str, name: str) -> None: ...
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
    def reserve_replay(self, key: str, fingerprint: str, owner: str) -> Row | None:
        """Reserve ``key`` for ``owner``: None when reserved (new, or taken over after its
        lease ran out), else the row that holds it (pending or answered)."""
        ...
    def complete_replay(self, key: str, owner: str, status: int, content_type: str,
                        body: bytes) -> bool:
        """Store the answer of ``owner``'s request; False when the key is no longer its."""
        ...
    def release_replay(self, key: str, owner: str) -> None: ...
    def put_replay(self, key: str, fingerprint: str, status: int, content_type: str,
                   body: bytes) -> None: ...
    def schema_version(self) -> int: ...
    def close(self) -> None: ...


def log_filters(where: Row, log_columns: Sequence[str], like: str) -> tuple[str, list[Any]]:
    """The WHERE clause of a log listing. ``where`` maps filter names to values: log columns
    compare equal; ``search`` matches inside inputs or output, ``metadata`` inside metadata;
    ``start``/``end`` bound created_at; ``in_trace`` True/False keeps logs with/without a trace
    parent. ``like`` is the dialect's case-insensitive LIKE."""
    clauses: list[str] = []
    args: list[Any] = []
    for key, value in where.items():
        if value is None:
            continue
        if key in log_columns:
            clauses.append(f"{key}=?")
            args.append(value)
        elif key == "search":
            clauses.append(f"(json_extract(body, '$.inputs') {like} ? ESCAPE '\\'"
                           f" OR json_extract(body, '$.output') {like} ? ESCAPE '\\')")
            args.extend([f"%{like_escape(str(value))}%"] * 2)
        elif key == "metadata":
            clauses.append(f"json_extract(body, '$.metadata') {like} ? ESCAPE '\\'")
            args.append(f"%{like_escape(str(value))}%")
        elif key in ("start", "end"):
            clauses.append("created_at >= ?" if key == "start" else "created_at <= ?")
            args.append(value)
        elif key == "in_trace":
            clauses.append("trace_parent_id IS NOT NULL" if value else "trace_parent_id IS NULL")
    return " AND ".join(clauses) or "1=1", args

