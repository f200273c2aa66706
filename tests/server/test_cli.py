"""``python -m humanloop_core.server`` as a user runs it: key handling, default database,
and one access-log line per request that never carries the key."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from humanloop_core.server import __main__ as cli
from tests.reliability.server_process import free_port

REPO = Path(__file__).resolve().parents[2]


def test_arguments_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = cli.parse_args(["--port", "9001", "--db", ":memory:", "--mock-chunk-delay", "0.01"])
    assert (args.host, args.port, args.db, args.api_key, args.mock_chunk_delay) == (
        "127.0.0.1", 9001, ":memory:", None, 0.01)
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    assert cli.default_db() == str(tmp_path / "data" / "humanloop.sqlite")
    assert (tmp_path / "data").is_dir()


def test_generated_key_printed_once_and_never_logged(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HUMANLOOP_API_KEY"}
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "humanloop_core.server", "--port", str(port),
                                 "--db", ":memory:"], stdout=sink, stderr=sink, cwd=REPO, env=env)
    try:
        key = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "Humanloop v5 API on" not in log.read_text():
            time.sleep(0.05)
        for line in log.read_text().splitlines():
            if line.startswith("Generated API key (shown once): "):
                key = line.rsplit(" ", 1)[-1]
        assert key.startswith("hl-local-")
        base = f"http://127.0.0.1:{port}/v5"
        for _ in range(200):
            try:
                ok = httpx.get(base + "/prompts", headers={"X-API-KEY": key})
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert ok.status_code == 200
        assert httpx.get(base + "/prompts", headers={"X-API-KEY": "wrong"}).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = log.read_text()
    assert text.count(key) == 1  # the one announcement
    assert "GET /v5/prompts 200" in text and "GET /v5/prompts 401" in text
