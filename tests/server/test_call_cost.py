"""What one ``prompts.call`` costs the store, so the call path can't quietly grow.

The server runs over loopback on a real SQLite file; a store subclass counts the SQL
statements each connection runs (SQLite's own trace hook, so statements inside triggers
and the transaction's BEGIN/COMMIT count too). Only request threads are counted: the
evaluation worker scans new logs from its own threads (``asyncio.to_thread``) on its own
clock, and its cost is per poll, not per call.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from humanloop_core.server import lanes
from humanloop_core.server.local import LocalServer
from humanloop_core.server.store.sqlite import SqliteStore, _SqliteConn

PROMPT = {"path": "cost/p", "model": "mock-1", "provider": "mock",
          "template": [{"role": "system", "content": "Be brief."}]}
CALL = {"path": "cost/p", "messages": [{"role": "user", "content": "Say something short."}]}
# Per call: resolve (file, deployments, version: 3), one write transaction (the log, whose
# triggers SQLite reports as statements too: two keep the log counts, one fills the
# monitoring outbox; the file's last use; BEGIN/COMMIT and the busy-timeout switch: 9),
# then the plain answer's deployments, directory and log counts (3; the file row is no
# longer read back: one more before).
# Raise these only with a reason: each statement is paid by every call.
MAX_STATEMENTS = {"plain": 15, "stream": 12}


class CountingStore(SqliteStore):
    def __init__(self, path: str) -> None:
        self.statements: list[str] = []
        self.counting = False
        super().__init__(path)

    def _acquire(self) -> _SqliteConn:
        conn = super()._acquire()
        conn.raw.set_trace_callback(self._seen)
        return conn

    def _seen(self, sql: str) -> None:
        if self.counting and not threading.current_thread().name.startswith("asyncio_"):
            self.statements.append(sql)


@pytest.fixture
def counted(tmp_path: Path) -> Any:
    store = CountingStore(str(tmp_path / "cost.sqlite"))
    with LocalServer(store=store) as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as http:
        prompt_id = http.post("/prompts", json=PROMPT).json()["id"]
        http.post("/prompts/call", json=CALL).raise_for_status()  # warm: first use of every path
        yield store, http, prompt_id
    store.close()


@pytest.mark.parametrize("kind", ["plain", "stream"])
def test_a_call_runs_a_bounded_number_of_statements(counted: Any, kind: str) -> None:
    store, http, prompt_id = counted
    calls_made = 5
    store.counting = True
    for _ in range(calls_made):
        response = http.post("/prompts/call", json={**CALL, "stream": kind == "stream"})
        assert response.status_code == 200, response.text
    store.counting = False
    per_call = len(store.statements) / calls_made
    assert per_call <= MAX_STATEMENTS[kind], "\n".join(store.statements[: len(store.statements) // calls_made])
    # Each counted call wrote its own log, inside one transaction (one COMMIT per call).
    assert sum(s.startswith("COMMIT") for s in store.statements) == calls_made
    assert http.get("/logs", params={"file_id": prompt_id}).json()["total"] == calls_made + 1


def test_many_connections_every_call_answered_and_logged(tmp_path: Path) -> None:
    """More calls at once than the lanes have threads: each is answered from its own
    committed log (the lanes queue work, they never drop or mix it up)."""
    async def run(base_url: str, key: str) -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=base_url, headers={"X-API-KEY": key}, timeout=60,
                                     limits=limits) as client:
            async def one(i: int) -> dict[str, Any]:
                body = {**CALL, "inputs": {"n": str(i)}, "stream": i % 4 == 0}
                response = await client.post("/prompts/call", json=body)
                assert response.status_code == 200, response.text
                if i % 4 == 0:
                    events = [json.loads(line[5:]) for line in response.text.splitlines()
                              if line.startswith("data:")]
                    return {"id": events[-1]["id"], "n": str(i)}
                return {"id": response.json()["log_id"], "n": response.json()["inputs"]["n"]}
            return list(await asyncio.gather(*(one(i) for i in range(40 * lanes.THREADS))))

    with LocalServer(db=tmp_path / "many.sqlite") as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as http:
        http.post("/prompts", json=PROMPT).raise_for_status()
        answers = asyncio.run(run(srv.base_url, srv.api_key))
        assert len({a["id"] for a in answers}) == len(answers)
        for answer in answers[:: lanes.THREADS]:
            log = http.get(f"/logs/{answer['id']}").json()
            assert log["inputs"] == {"n": answer["n"]}
