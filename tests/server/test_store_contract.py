"""The Store contract, run over both stores: SQLite on a file and a real PostgreSQL.

Each test states one promise the services rely on; the same test passing on both stores
is what lets the server run on either. Concurrency tests use threads sharing one store,
as the server's request threads do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from humanloop_core.server.store import Conflict, Store, migrations, now, open_store
from humanloop_core.server.store import base as store_base

Opener = Callable[[], Store]


@pytest.fixture(params=["sqlite", "postgres"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens (and again, as a restarted server or another replica would) one database."""
    db = (str(tmp_path / "contract.sqlite") if request.param == "sqlite"
          else request.getfixturevalue("postgres_url"))
    opened: list[Store] = []

    def open_one() -> Store:
        opened.append(open_store(db))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(reopen: Opener) -> Store:
    return reopen()


def _prompt(store: Store, path: str = "dir/p") -> tuple[dict[str, Any], dict[str, Any]]:
    file = store.create_file("pr", "prompt", path)
    return file, store.put_version(file["id"], "prv", f"h-{path}", {"model": "m"}, None)


def _log(file: dict[str, Any], version: dict[str, Any], log_id: str, **body: Any) -> dict[str, Any]:
    return {"id": log_id, "type": "prompt", "file_id": file["id"], "version_id": version["id"],
            "created_at": now(), "body": body}


def test_opens_at_the_latest_schema_and_reopens_without_migrating_again(reopen: Opener) -> None:
    first = reopen()
    file, _ = _prompt(first)
    assert first.schema_version() == migrations.LATEST
    second = reopen()
    assert second.schema_version() == migrations.LATEST
    assert second.get_file(file["id"])["path"] == "dir/p"
    assert [e["name"] for e in second.list_environments()] == ["production", "staging", "development"]


def test_concurrent_creators_of_one_path_share_one_file_and_version(store: Store) -> None:
    def create(_: int) -> tuple[str, str]:
        file, version = _prompt(store, "a/b")
        return file["id"], version["id"]

    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(create, range(32)))
    assert len(results) == 1
    file_id = next(iter(results))[0]
    assert len(store.list_versions(file_id)) == 1
    assert set(store.get_file(file_id)) == {"id", "type", "path", "created_at", "updated_at",
                                            "last_used_at", "meta"}


def test_names_match_without_case_and_with_underscore_as_a_letter(store: Store) -> None:
    for path in ("x/Alpha_one", "x/alphaXone", "y/beta"):
        store.create_file("pr", "prompt", path)
    rows, total = store.list_files(["prompt"], "ALPHA_", 1, 10, "name", False)
    assert (total, [r["path"] for r in rows]) == (1, ["x/Alpha_one"])
    rows, total = store.list_files(["prompt"], None, 1, 2, "created_at", True)
    assert total == 3 and [r["path"] for r in rows] == ["y/beta", "x/alphaXone"]


def test_directory_prefixes_are_exact(store: Store) -> None:
    for path in ("Team/a", "team/b", "team_x/c", "team/sub/d"):
        store.ensure_directories(path.rsplit("/", 1)[0])
        store.create_file("pr", "prompt", path)
    assert [r["path"] for r in store.files_under("team")] == ["team/b"]
    moved = store.move_directory(store.get_directory("team")["id"], "crew")
    assert moved["path"] == "crew"
    paths = {r["path"] for r in store.list_files(["prompt"], None, 1, 10, None, False)[0]}
    assert paths == {"Team/a", "crew/b", "team_x/c", "crew/sub/d"}
    assert store.get_directory("crew/sub") is not None
    with pytest.raises(Conflict, match="collides"):
        store.move_directory(store.get_directory("crew")["id"], "Team")
    assert store.get_directory("crew/sub") is not None  # the failed move changed nothing


def test_logs_filter_count_and_refuse_duplicates_or_orphans(store: Store) -> None:
    file, version = _prompt(store)
    store.insert_log(_log(file, version, "log_1", inputs={"q": "Hello World"}, output="x"))
    store.insert_log(_log(file, version, "log_2", output="other", metadata={"team": "Blue"}))
    child = {**_log(file, version, "log_3", output="child"), "trace_parent_id": "log_1"}
    store.insert_log(child)
    assert store.list_logs({"search": "hello world"}, 1, 10)[1] == 1
    assert store.list_logs({"search": "100%"}, 1, 10)[1] == 0  # % is a letter, not a wildcard
    assert store.list_logs({"metadata": "blue"}, 1, 10)[0][0]["id"] == "log_2"
    assert [r["id"] for r in store.list_logs({"file_id": file["id"]}, 1, 2)[0]] == ["log_3", "log_2"]
    assert store.list_logs({"file_id": file["id"], "in_trace": False}, 1, 10)[1] == 2
    assert [r["id"] for r in store.child_logs("trace_parent_id", "log_1")] == ["log_3"]
    assert store.count_logs(file["id"]) == {version["id"]: 3}
    with pytest.raises(Conflict, match="already taken"):
        store.insert_log(_log(file, version, "log_1"))
    with pytest.raises(Conflict, match="was deleted"):
        store.insert_log({**_log(file, version, "log_9"), "version_id": "prv_gone"})
    batch = [_log(file, version, "log_1"), _log(file, version, "log_4"), _log(file, version, "log_5")]
    assert store.insert_logs(batch) == 2 and store.insert_logs(batch) == 0
    # OTLP ingestion hangs logs of later batches into the tree, and re-points them.
    store.set_trace_parent(["log_4", "log_5"], "log_1")
    assert [r["id"] for r in store.child_logs("trace_parent_id", "log_1")] == ["log_3", "log_4", "log_5"]
    store.set_trace_parent(["log_5"], None)
    assert store.get_log("log_5")["trace_parent_id"] is None  # type: ignore[index]
    store.update_log("log_2", {"output": "edited"})
    assert store.get_log("log_2")["body"] == {"output": "edited"}
    assert store.delete_logs(["log_2", "log_missing"]) == 1
    other = store.put_version(file["id"], "prv", "h-other", {"model": "other"}, None)
    store.insert_log(_log(file, other, "log_6"))
    # The counts every file response carries follow inserts, batches, deletes, failures.
    assert store.count_logs(file["id"]) == {version["id"]: 4, other["id"]: 1}
    store.delete_logs(["log_6"])
    assert store.count_logs(file["id"]) == {version["id"]: 4}


def test_version_names_are_unique_among_live_versions(store: Store) -> None:
    file, first = _prompt(store)
    second = store.put_version(file["id"], "prv", "h2", {"model": "n"}, "msg")
    store.update_version(first["id"], {"version_name": "v1"})
    with pytest.raises(Conflict):
        store.update_version(second["id"], {"version_name": "v1"})
    store.update_version(first["id"], {"status": "deleted"})
    assert store.update_version(second["id"], {"version_name": "v1"})["version_name"] == "v1"
    store.mark_saved(first["id"])
    store.mark_saved(second["id"])
    assert store.newest_saved_version(file["id"])["id"] == second["id"]
    assert [v["id"] for v in store.list_versions(file["id"])] == [second["id"], first["id"]]


def test_deployments_datapoints_and_evaluations(store: Store) -> None:
    file, version = _prompt(store)
    store.set_deployment(file["id"], "env_production", version["id"])
    store.set_deployment(file["id"], "env_production", version["id"])
    assert store.deployments(file["id"]) == {"env_production": version["id"]}
    store.put_datapoints(version["id"], [("dp_a", {"inputs": {"n": "1"}}), ("dp_b", {"inputs": {"n": "2"}})])
    assert store.list_datapoints(version["id"], 2, 1) == ([{"inputs": {"n": "2"}, "id": "dp_b"}], 2)
    evaluation = {"id": "ev_1", "file_id": file["id"], "created_at": now(), "updated_at": now(), "name": "e"}
    store.put_evaluation(evaluation)
    store.put_evaluation({**evaluation, "name": "renamed"})
    assert store.get_evaluation("ev_1")["name"] == "renamed"
    assert store.list_evaluations(file["id"], 1, 10)[1] == 1
    store.delete_file(file["id"])
    assert store.get_file(file["id"]) is None and store.list_datapoints(version["id"], 1, 10)[1] == 0


def test_transaction_serialises_read_modify_write_and_rolls_back_on_error(store: Store) -> None:
    """Each worker reads the newest datapoint list and writes it back one longer, as a
    dataset ``add`` does: inside ``transaction(lock_file=...)`` none is lost."""
    file, first = _prompt(store, "data")
    store.put_datapoints(first["id"], [])

    def add(i: int) -> None:
        with store.transaction(lock_file=file["id"]):
            newest = store.list_versions(file["id"])[0]
            points = store.list_datapoints(newest["id"], 1, 1000)[0]
            version = store.put_version(file["id"], "prv", f"n{i}", {"n": i}, None)
            store.put_datapoints(version["id"], [(p["id"], {}) for p in points] + [(f"dp_{i}", {})])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(24)))
    newest = store.list_versions(file["id"])[0]
    assert {p["id"] for p in store.list_datapoints(newest["id"], 1, 1000)[0]} == {f"dp_{i}" for i in range(24)}

    with pytest.raises(RuntimeError), store.transaction(lock_file=file["id"]):
        store.insert_log(_log(file, newest, "log_rolled_back"))
        raise RuntimeError("fails after a write")
    assert store.get_log("log_rolled_back") is None


def test_one_idempotency_key_is_reserved_once_across_threads(store: Store) -> None:
    barrier = threading.Barrier(8)

    def reserve(n: int) -> bool:
        barrier.wait()
        return store.reserve_replay("key", "fp", f"owner-{n}") is None

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(reserve, range(8))) == 1
    owner = store.get_replay("key")["owner"]
    assert not store.complete_replay("key", "someone-else", 200, "application/json", b"{}")
    assert store.complete_replay("key", owner, 200, "application/json", b'{"id":"x"}')
    assert store.reserve_replay("key", "fp", "late")["body"] == b'{"id":"x"}'
    store.reserve_replay("key2", "fp", "gone")
    store.release_replay("key2", "gone")
    assert store.reserve_replay("key2", "fp", "next") is None


def test_a_write_marks_the_key_applied_in_its_transaction(store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    file, version = _prompt(store)
    assert store.reserve_replay("k", "fp", "first") is None
    with store_base.applying("k", "first"):
        store.insert_log(_log(file, version, "log_applied"))
    monkeypatch.setattr(store_base, "IDEMPOTENCY_LEASE", timedelta(seconds=-1))
    # The first server "died" after the write: the lease is over, but the key is not taken
    # over, since taking it would write the log twice.
    held = store.reserve_replay("k", "fp", "retry")
    assert held is not None and held["applied"] == "log_applied" and held["owner"] == "first"
    # A reservation that wrote nothing is taken over once its lease is over, and its
    # late owner can then neither write under it nor store its answer.
    assert store.reserve_replay("k2", "fp", "slow") is None
    assert store.reserve_replay("k2", "fp", "retry") is None
    with store_base.applying("k2", "slow"), pytest.raises(store_base.KeyTakenOver):
        store.insert_log(_log(file, version, "log_late"))
    assert store.get_log("log_late") is None
    assert not store.complete_replay("k2", "slow", 200, "application/json", b"{}")
    # Once its answer is kept, work the request left running may still write.
    assert store.reserve_replay("k3", "fp", "done") is None
    assert store.complete_replay("k3", "done", 200, "application/json", b"{}")
    with store_base.applying("k3", "done"):
        store.insert_log(_log(file, version, "log_after_answer"))
    assert store.get_log("log_after_answer") is not None


def test_replays_are_pruned_after_retention(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.put_replay("old", "f", 200, "application/json", b"{}")
    monkeypatch.setattr(store_base, "REPLAY_RETENTION", timedelta(seconds=-1))
    monkeypatch.setattr(store_base, "REPLAY_PRUNE_EVERY", 1)
    store.put_replay("new", "f", 200, "application/json", b"{}")
    assert store.get_replay("old") is None
