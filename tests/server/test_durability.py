"""Durability: a log the server acknowledged survives SIGKILL.

Eight writers log concurrently to a server in its own process (started as users start
it, ``python -m humanloop_core.server``); it is killed mid-load and restarted on the same
SQLite file, and every log whose 200 reached a writer must be there.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.reliability.server_process import ServerProcess

WRITERS = 8


def _writer(base_url: str, api_key: str, n: int, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=5) as http:
        i = 0
        while not stop.is_set():
            i += 1
            body = {"path": "durability/p", "prompt": {"model": "mock-1", "provider": "mock"},
                    "output": f"writer {n} item {i}", "inputs": {"writer": n, "i": i}}
            try:
                response = http.post("/prompts/log", json=body)
            except httpx.TransportError:
                return  # the server is gone: nothing after this was acknowledged
            if response.status_code == 200:
                acked.append(response.json()["id"])


def test_acknowledged_logs_survive_sigkill(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "durable.sqlite").start()
    acked: list[list[str]] = [[] for _ in range(WRITERS)]
    stop = threading.Event()
    threads = [threading.Thread(target=_writer, args=(server.base_url, server.api_key, n, acked[n], stop))
               for n in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while sum(map(len, acked)) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()  # mid-load: the writers are still sending
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        ids = [log_id for writer in acked for log_id in writer]
        assert len(ids) >= 200 and all(writer for writer in acked)

        server.start()
        with httpx.Client(base_url=server.base_url, headers={"X-API-KEY": server.api_key}) as http:
            file_id = http.get(f"/logs/{ids[0]}").json()["prompt"]["id"]
            stored: set[str] = set()
            page = 1
            while True:
                listed = http.get("/logs", params={"file_id": file_id, "size": 500, "page": page}).json()
                stored.update(record["id"] for record in listed["records"])
                if page * 500 >= listed["total"]:
                    break
                page += 1
        assert set(ids) - stored == set()
    finally:
        stop.set()
        server.stop()
