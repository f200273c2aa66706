"""Logs stay readable: no orphans from a delete racing a call, no unbounded nesting, no
500 for a reused log id."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from humanloop_core.server import LocalServer
from humanloop_core.server.logs import MAX_NESTING
from tests.server.conftest import MOCK, sse_items

EVALUATOR = {"arguments_type": "target_required", "return_type": "boolean", "evaluator_type": "human"}


def test_a_file_deleted_while_its_calls_run_leaves_no_orphan_logs(tmp_path: Path) -> None:
    # 0.2 s per chunk: a call of a few words is still running when the delete lands.
    with LocalServer(db=tmp_path / "race.sqlite", mock_chunk_delay=0.2) as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as http:
        prompt = http.post("/prompts", json={"path": "race/p", **MOCK}).json()
        body = {"id": prompt["id"], "messages": [{"role": "user", "content": "one two three four"}]}
        answers: dict[str, httpx.Response] = {}

        def call(kind: str) -> None:
            answers[kind] = http.post("/prompts/call", json={**body, "stream": kind == "stream"})

        threads = [threading.Thread(target=call, args=(kind,)) for kind in ("plain", "stream")]
        for thread in threads:
            thread.start()
        time.sleep(0.4)
        assert http.delete(f"/prompts/{prompt['id']}").status_code == 204
        for thread in threads:
            thread.join()

        plain = answers["plain"]
        assert plain.status_code == 409
        assert plain.json()["detail"] == (f"the file of this log ({prompt['id']!r}) was deleted; "
                                          "the log was not stored")
        events = sse_items(answers["stream"])
        assert "was deleted; the log was not stored" in events[-1]["error"]
        log_id = events[0]["id"]
        assert http.get(f"/logs/{log_id}").status_code == 404
        assert srv.store.get_log(log_id) is None


def test_an_orphan_log_already_stored_reads_as_deleted(tmp_path: Path) -> None:
    # A database written before inserts checked for the file may hold such rows.
    with LocalServer(db=tmp_path / "orphan.sqlite") as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        parent = http.post("/prompts/log", json={"path": "o/p", "prompt": MOCK}).json()
        judged = http.post("/evaluators/log", json={"path": "o/e", "spec": EVALUATOR,
                                                    "parent_id": parent["id"], "judgment": True}).json()
        srv.store._write([("DELETE FROM versions WHERE id=?", (judged["version_id"],)),  # type: ignore[attr-defined]
                          ("DELETE FROM files WHERE path='o/e'", ())])
        assert http.get(f"/logs/{judged['id']}").status_code == 404
        read = http.get(f"/logs/{parent['id']}")
        assert read.status_code == 200 and read.json()["evaluator_logs"] == []


def test_a_long_chain_of_evaluator_logs_reads_with_bounded_nesting(
        http: httpx.Client, unique_path: str) -> None:
    root = http.post("/prompts/log", json={"path": unique_path, "prompt": MOCK}).json()["id"]
    parent = root
    for _ in range(400):
        created = http.post("/evaluators/log", json={"path": f"{unique_path}-judge", "spec": EVALUATOR,
                                                     "parent_id": parent, "judgment": True})
        assert created.status_code == 200
        parent = created.json()["id"]
    read = http.get(f"/logs/{root}")
    assert read.status_code == 200
    depth, level = 0, read.json()
    while level["evaluator_logs"]:
        [level] = level["evaluator_logs"]
        depth += 1
    assert depth == MAX_NESTING
    # Logs past the nesting read on their own.
    leaf = http.get(f"/logs/{parent}")
    assert leaf.status_code == 200 and leaf.json()["parent_id"]


def test_a_reused_flow_log_id_is_a_409(http: httpx.Client, unique_path: str) -> None:
    log_id = f"log_{unique_path.rsplit('-', 1)[-1]}reuse"
    first = http.post("/flows/log", json={"path": unique_path, "log_id": log_id})
    assert first.status_code == 200 and first.json()["id"] == log_id
    again = http.post("/flows/log", json={"path": unique_path, "log_id": log_id, "output": "other"})
    assert (again.status_code, again.json()["detail"]) == (409, f"log id {log_id!r} is already taken")
    assert http.get(f"/logs/{log_id}").json().get("output") is None  # the first one, untouched
