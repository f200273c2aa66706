"""SqliteStore on its own: concurrent writers, one file per path, WAL, pruning of replays."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from humanloop_core.server import store as store_module
from humanloop_core.server.store import SqliteStore
from humanloop_core.server.store import base as store_base


def test_concurrent_creators_of_one_path_share_one_file_and_version(tmp_path: Path) -> None:
    db = SqliteStore(str(tmp_path / "s.sqlite"))

    def create(_: int) -> tuple[str, str]:
        file = db.create_file("pr", "prompt", "a/b")
        version = db.put_version(file["id"], "prv", "hash", {"model": "m"}, None)
        return file["id"], version["id"]

    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(create, range(64)))
    assert len(results) == 1
    assert len(db.list_versions(next(iter(results))[0])) == 1
    db.close()


def test_concurrent_log_writes_all_land_and_survive_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    db = SqliteStore(path)
    file = db.create_file("pr", "prompt", "p")
    version = db.put_version(file["id"], "prv", "h", {"model": "m"}, None)

    def write(i: int) -> None:
        db.insert_log({"id": f"log_{i}", "type": "prompt", "file_id": file["id"], "version_id": version["id"],
                       "created_at": store_module.now(), "body": {"output": str(i)}})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(400)))
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Another connection sees every committed row without the first one closing.
    assert sqlite3.connect(path).execute("SELECT count(*) FROM logs").fetchone()[0] == 400
    db.close()
    assert SqliteStore(path).count_logs(file["id"]) == {version["id"]: 400}


def test_replays_are_pruned_after_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    db = SqliteStore()
    db.put_replay("old", "f", 200, "application/json", b"{}")
    monkeypatch.setattr(store_base, "REPLAY_RETENTION", timedelta(seconds=-1))
    monkeypatch.setattr(store_base, "REPLAY_PRUNE_EVERY", 1)
    db.put_replay("new", "f", 200, "application/json", b"{}")
    assert db.get_replay("old") is None
