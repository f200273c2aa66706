"""SIGTERM to ``humanloop-server`` with streams in flight: short streams finish within the
graceful period, longer ones are cut, and every one of them has its log stored.

(The CLI once died by the re-raised signal before the cancelled streams ran their
cleanup, storing none of their logs, while ``LocalServer.stop()`` stored them.)
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.reliability.server_process import free_port

REPO = Path(__file__).resolve().parents[2]
KEY = "hl-shutdown-key"


def test_sigterm_stores_the_logs_of_streams_in_flight(tmp_path: Path) -> None:
    db, port = tmp_path / "term.sqlite", free_port()
    with (tmp_path / "server.log").open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "humanloop_core.server", "--port", str(port), "--db", str(db),
             "--api-key", KEY, "--mock-chunk-delay", "0.1", "--graceful-timeout", "1.5"],
            stdout=sink, stderr=sink, cwd=REPO)
    base = f"http://127.0.0.1:{port}/v5"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/prompts", headers={"X-API-KEY": KEY})
                break
            except httpx.TransportError:
                time.sleep(0.05)
        http = httpx.Client(base_url=base, headers={"X-API-KEY": KEY}, timeout=30)
        http.post("/prompts", json={"path": "term/p", "model": "mock-1", "provider": "mock"})
        # "You said: " + n words: 10 chunks (1 s, inside the grace) or 60 (6 s, cut).
        lengths = [8, 58, 58]
        received = [0] * len(lengths)

        def stream(i: int) -> None:
            words = " ".join(f"w{i}" for _ in range(lengths[i]))
            body = {"path": "term/p", "stream": True, "messages": [{"role": "user", "content": words}]}
            try:
                with http.stream("POST", "/prompts/call", json=body) as response:
                    for line in response.iter_lines():
                        received[i] += line.startswith("data:")
            except httpx.HTTPError:
                pass  # the long streams are cut off

        threads = [threading.Thread(target=stream, args=(i,)) for i in range(len(lengths))]
        for thread in threads:
            thread.start()
        while min(received) < 2:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        for thread in threads:
            thread.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sqlite3.connect(db) as conn:
        bodies = [json.loads(body) for (body,) in conn.execute("SELECT body FROM logs")]
    by_stream = {body["messages"][-1]["content"].split()[0]: body for body in bodies}
    assert sorted(by_stream) == ["w0", "w1", "w2"], bodies
    short = by_stream["w0"]
    assert "error" not in short and short["output"] == "You said: " + " ".join(["w0"] * 8)
    for name in ("w1", "w2"):
        cut = by_stream[name]
        assert cut["error"] == "stream interrupted before the end"
        # Everything produced before the cut is kept: more than was sent at SIGTERM time.
        assert cut["output"].startswith("You said: " + name) and len(cut["output"].split()) >= 4
