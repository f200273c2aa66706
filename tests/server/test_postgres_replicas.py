"""Two server replicas (separate processes, started as users start them) on one PostgreSQL.

Durability: one replica is SIGKILLed under load; every write either replica acknowledged
is in the database afterwards. Shared state: dataset adds and one Idempotency-Key sent to
both replicas at once stay correct, which only the database can guarantee (the replicas
share no memory and no lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.reliability.server_process import ServerProcess

WRITERS_PER_REPLICA = 4
BODY = {"path": "replicas/p", "prompt": {"model": "mock-1", "provider": "mock"}}


@pytest.fixture(scope="module")
def replicas(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    """Both replicas for the module (starting a server process takes seconds), started at once."""
    url, logs = postgres_server.fresh_schema(), tmp_path_factory.mktemp("replicas")
    servers = [ServerProcess(url, log=logs / f"replica-{n}.log") for n in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(ServerProcess.start, servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


def _client(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"X-API-KEY": server.api_key}, timeout=10)


def _writer(server: ServerProcess, name: str, acked: list[str], stop: threading.Event) -> None:
    with _client(server) as http:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                response = http.post("/prompts/log", json={**BODY, "output": f"{name} {i}"})
            except httpx.TransportError:
                return  # this replica is gone: nothing after this was acknowledged
            if response.status_code == 200:
                acked.append(response.json()["id"])


def _all_log_ids(server: ServerProcess, file_id: str) -> set[str]:
    stored: set[str] = set()
    with _client(server) as http:
        page = 1
        while True:
            listed = http.get("/logs", params={"file_id": file_id, "size": 500, "page": page}).json()
            stored.update(record["id"] for record in listed["records"])
            if page * 500 >= listed["total"]:
                return stored
            page += 1


def test_two_replicas_share_dataset_edits_and_idempotency_keys(replicas: list[ServerProcess]) -> None:
    clients = [_client(server) for server in replicas]
    try:
        first = clients[0].post("/datasets", json={"path": "replicas/data", "datapoints": [{"inputs": {"n": "base"}}]})
        assert first.status_code == 200

        def add(i: int) -> int:
            return clients[i % 2].post("/datasets", json={"path": "replicas/data", "action": "add",
                                                          "datapoints": [{"inputs": {"n": str(i)}}]}).status_code

        def log_once(i: int) -> httpx.Response:
            return clients[i % 2].post("/prompts/log", json={**BODY, "path": "replicas/once", "output": "once"},
                                       headers={"Idempotency-Key": "one-key-two-replicas"})

        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(add, range(20))) == [200] * 20
            answers = list(pool.map(log_once, range(8)))
        dataset = clients[1].get(f"/datasets/{first.json()['id']}").json()
        points = clients[1].get(f"/datasets/{dataset['id']}/datapoints",
                                params={"version_id": dataset["version_id"], "size": 100}).json()
        assert {p["inputs"]["n"] for p in points["records"]} == {"base", *map(str, range(20))}
        assert [a.status_code for a in answers] == [200] * 8
        assert len({a.json()["id"] for a in answers}) == 1
        file_id = answers[0].json()["prompt_id"]
        assert clients[0].get("/logs", params={"file_id": file_id}).json()["total"] == 1
    finally:
        for client in clients:
            client.close()


def test_acknowledged_writes_survive_sigkill_of_one_replica(replicas: list[ServerProcess]) -> None:
    doomed, survivor = replicas
    acked: dict[str, list[str]] = {}
    stop = threading.Event()
    threads = []
    for server, label in ((doomed, "doomed"), (survivor, "survivor")):
        for n in range(WRITERS_PER_REPLICA):
            acked[f"{label}-{n}"] = []
            threads.append(threading.Thread(target=_writer, args=(server, f"{label}-{n}", acked[f"{label}-{n}"], stop)))
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while sum(map(len, acked.values())) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        doomed.kill()  # mid-load: its writers are still sending
        before = sum(len(v) for k, v in acked.items() if k.startswith("survivor"))
        while (sum(len(v) for k, v in acked.items() if k.startswith("survivor")) < before + 50
               and time.monotonic() < deadline):
            time.sleep(0.02)  # the other replica keeps serving after the kill
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    ids = [log_id for writer in acked.values() for log_id in writer]
    assert all(acked.values()), {k: len(v) for k, v in acked.items()}
    with _client(survivor) as http:
        file_id = http.get(f"/logs/{ids[0]}").json()["prompt"]["id"]
    assert set(ids) - _all_log_ids(survivor, file_id) == set()
    doomed.start()  # a killed replica comes back on the same database
    assert set(ids) <= _all_log_ids(doomed, file_id)
