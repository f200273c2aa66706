"""Idempotency across a crash, through the real server on both stores.

A server that died mid-request leaves its reservation behind; what a retry gets depends
on whether the request had written anything. The dead server is played by the store
itself (reserving, and writing under the key as the request would have), which is exactly
the state a SIGKILL at that moment leaves in the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from humanloop_core.server import LocalServer
from humanloop_core.server.store import base as store_base
from humanloop_core.server.store import now

BODY = {"path": "crash/p", "prompt": {"model": "mock-1", "provider": "mock"}, "output": "once"}
RAW = json.dumps(BODY).encode()
# What the middleware fingerprints: the path, the query and the body bytes.
FINGERPRINT = hashlib.sha256(b"\n".join([b"/v5/prompts/log", b"", RAW])).hexdigest()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalServer]:
    db = str(tmp_path / "crash.sqlite") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with LocalServer(db=db) as srv:
        yield srv


def _post(srv: LocalServer, key: str) -> httpx.Response:
    return httpx.post(srv.base_url + "/prompts/log", content=RAW, timeout=30,
                      headers={"X-API-KEY": srv.api_key, "Idempotency-Key": key,
                               "Content-Type": "application/json"})


def _logs(srv: LocalServer) -> int:
    file = srv.store.get_file_by_path("crash/p")
    return sum(srv.store.count_logs(file["id"]).values()) if file else 0


def test_a_retry_after_a_crash_past_the_write_does_not_write_again(
        server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _post(server, "warm-up")  # the file and version exist, as in any real crash
    assert first.status_code == 200 and _logs(server) == 1
    store = server.store
    assert store.reserve_replay("crashed-key", FINGERPRINT, "dead-server") is None
    file = store.get_file_by_path("crash/p")
    version = store.list_versions(file["id"])[0]
    with store_base.applying("crashed-key", "dead-server"):
        store.insert_log({"id": "log_written_before_crash", "type": "prompt", "file_id": file["id"],
                          "version_id": version["id"], "created_at": now(), "body": BODY})
    monkeypatch.setattr(store_base, "IDEMPOTENCY_LEASE", timedelta(seconds=-1))
    retry = _post(server, "crashed-key")
    assert retry.status_code == 409
    assert "log_written_before_crash" in retry.json()["detail"]
    assert _logs(server) == 2  # the warm-up and the one written before the crash; no third


def test_a_retry_after_a_crash_before_any_write_runs_the_request(
        server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert server.store.reserve_replay("early-crash", FINGERPRINT, "dead-server") is None
    monkeypatch.setattr(store_base, "IDEMPOTENCY_LEASE", timedelta(seconds=-1))
    retry = _post(server, "early-crash")
    assert retry.status_code == 200 and _logs(server) == 1
    again = _post(server, "early-crash")
    assert again.json() == retry.json() and again.headers["idempotent-replayed"] == "true"
    assert _logs(server) == 1
