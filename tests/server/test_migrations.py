"""Migrations: a SQLite file written by the first release opens unchanged and is brought forward."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from humanloop_core.server import LocalServer
from humanloop_core.server.store import SqliteStore, migrations

# The schema exactly as the first release (commit 3a0fa54) created it, frozen here: the
# migrations must adopt a database made by it, whatever later entries change.
FIRST_RELEASE_SCHEMA = """
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
TS = "2026-11-30T10:00:00+00:00"


@pytest.fixture
def first_release_db(tmp_path: Path) -> Path:
    """A database as the first release left it: a prompt, a version, a deployment, a log and
    a kept answer, written with that release's SQL."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(FIRST_RELEASE_SCHEMA)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executemany("INSERT INTO environments VALUES (?,?,?,?)",
                     [("env_production", "production", "default", TS), ("env_staging", "staging", "other", TS),
                      ("env_development", "development", "other", TS)])
    conn.execute("INSERT INTO files VALUES ('pr_old', 'prompt', 'team/old', ?, ?, ?)", (TS, TS, TS))
    conn.execute("INSERT INTO directories VALUES ('dir_team', 'team', ?, ?)", (TS, TS))
    conn.execute("INSERT INTO versions(id, file_id, hash, kernel, commit_message, status, created_at)"
                 " VALUES ('prv_old', 'pr_old', 'h1', ?, 'first', 'committed', ?)",
                 ('{"model":"mock-1","provider":"mock"}', TS))
    conn.execute("INSERT INTO deployments VALUES ('pr_old', 'env_production', 'prv_old')")
    conn.execute("INSERT INTO logs(id, type, file_id, version_id, created_at, body) VALUES"
                 " ('log_old', 'prompt', 'pr_old', 'prv_old', ?, ?)", (TS, '{"output":"kept"}'))
    conn.execute("INSERT INTO replays VALUES ('key-old', 'fp', 200, 'application/json', ?, ?)",
                 (b'{"id":"log_old"}', "2999-01-01T00:00:00+00:00"))
    conn.commit()
    conn.close()
    return path


def test_first_release_file_is_adopted_and_migrated(first_release_db: Path) -> None:
    store = SqliteStore(str(first_release_db))
    try:
        assert store.schema_version() == migrations.LATEST
        applied = sqlite3.connect(first_release_db).execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()
        assert [v for (v,) in applied] == [m.version for m in migrations.MIGRATIONS]
        assert store.get_file_by_path("team/old")["id"] == "pr_old"
        assert store.get_log("log_old")["body"] == {"output": "kept"}
        assert store.deployments("pr_old") == {"env_production": "prv_old"}
        assert store.count_logs("pr_old") == {"prv_old": 1}  # counts built from the old logs
        kept = store.get_replay("key-old")
        assert kept is not None and kept["status"] == 200 and kept["body"] == b'{"id":"log_old"}'
        # The old answer still replays; its key is not up for reservation.
        assert store.reserve_replay("key-old", "fp", "someone")["status"] == 200
    finally:
        store.close()
    again = SqliteStore(str(first_release_db))  # reopening applies nothing twice
    assert again.schema_version() == migrations.LATEST
    again.close()


def test_first_release_file_serves_its_data(first_release_db: Path) -> None:
    import httpx

    with LocalServer(db=first_release_db) as srv:
        http = httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key})
        called = http.post("/prompts/call", json={"path": "team/old", "messages": [{"role": "user", "content": "hi"}]})
        assert called.status_code == 200 and called.json()["prompt"]["version_id"] == "prv_old"
        logs = http.get("/logs", params={"file_id": "pr_old"}).json()
        assert {r["id"] for r in logs["records"]} == {"log_old", called.json()["id"]}


def test_a_newer_database_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = str(tmp_path / "new.sqlite")
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', ?)", (migrations.LATEST + 1, TS))
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this server knows"):
        SqliteStore(path)


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "s.sqlite")
    SqliteStore(path).close()
    broken = migrations.Migration(migrations.LATEST + 1, "half broken",
                                  "ALTER TABLE files ADD COLUMN extra TEXT; SELECT * FROM no_such_table;")
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "LATEST", broken.version)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        SqliteStore(path)
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(files)")]
    assert "extra" not in columns
    monkeypatch.undo()
    assert SqliteStore(path).schema_version() == migrations.LATEST


def test_migration_numbers_run_without_gaps() -> None:
    migrations.check_order()
    assert [m.version for m in migrations.MIGRATIONS] == list(range(1, migrations.LATEST + 1))
