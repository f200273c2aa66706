"""Nothing blocks the server's event loop: ``/healthz`` answers at once while storage
waits on a lock another process holds, and while the mock model works through input
built to be slow.

The bounds are loose (the machine may be busy) but far below what a blocked loop shows:
the whole time the lock is held, or the 13 s the mock model once took.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from humanloop_core.server import LocalServer
from tests.server.conftest import MOCK

HOLD_SECONDS = 3.0
RESPONSIVE = 1.0  # seconds; a blocked loop answers /healthz only once the lock is released
_HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def _healthz_seconds(srv: LocalServer) -> float:
    started = time.perf_counter()
    assert httpx.get(srv.url + "/healthz", timeout=10).status_code == 200
    return time.perf_counter() - started


def test_healthz_stays_fast_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "locked.sqlite"
    with LocalServer(db=db) as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as http:
        http.post("/prompts", json={"path": "lock/p", **MOCK})
        holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(db), str(HOLD_SECONDS)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            answers: list[httpx.Response] = []
            # Async calls (their logs wait for the lock) and an idempotent POST (its replay
            # record waits too), both on routes that once did storage on the loop.
            def call(key: str) -> None:
                answers.append(http.post("/prompts/call", headers={"Idempotency-Key": key}, json={
                    "path": "lock/p", "messages": [{"role": "user", "content": "hi"}]}))

            calls = [threading.Thread(target=call, args=(f"lock-{i}",)) for i in range(3)]
            for thread in calls:
                thread.start()
            time.sleep(0.3)  # the calls are now waiting on the lock
            slowest = max(_healthz_seconds(srv) for _ in range(5))
            assert holder.poll() is None, "the lock was released too early to prove anything"
            assert slowest < RESPONSIVE, f"/healthz took {slowest:.2f}s while storage waited on a lock"
            for thread in calls:
                thread.join()
            assert [a.status_code for a in answers] == [200, 200, 200]  # and the calls went through
        finally:
            holder.kill()
            holder.wait()


def test_input_built_to_be_slow_does_not_freeze_the_server(tmp_path: Path) -> None:
    tool = {"name": "calculate", "description": "Evaluates.", "parameters": {"type": "object", "properties": {"x": {"type": "number"}},
                                                "required": ["x"]}}
    with LocalServer(db=tmp_path / "slow.sqlite") as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=5) as http:
        prompt = {"path": "slow/p", "prompt": {**MOCK, "tools": [tool], "max_tokens": 3}}
        adversarial = [
            ("1" * 40_000 + "a calculate", "tool_calls"),   # the number rule backtracked: 13 s
            ("a b c d e" + " " * 200_000, "length"),          # the max_tokens cut: quadratic in spaces
        ]
        results: list[tuple[int, str, float]] = []

        def call(text: str) -> None:
            started = time.perf_counter()
            answer = http.post("/prompts/call", json={**prompt, "messages": [{"role": "user", "content": text}]})
            results.append((answer.status_code, answer.json()["logs"][0]["finish_reason"],
                            time.perf_counter() - started))

        call("warm-up: the first call builds the request models")
        assert results.pop()[0] == 200
        for text, finish in adversarial:
            thread = threading.Thread(target=call, args=(text,))
            thread.start()
            assert _healthz_seconds(srv) < RESPONSIVE
            thread.join()
            status, finished, seconds = results.pop()
            assert (status, finished) == (200, finish) and seconds < 3, seconds
