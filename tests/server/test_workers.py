"""``--workers N``: several server processes on one SQLite file behave as one server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from humanloop_core.server.__main__ import describe_db
from tests.reliability.server_process import ServerProcess

BODY = {"path": "workers/p", "prompt": {"model": "mock-1", "provider": "mock"}}


def test_workers_share_one_sqlite_file(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "w.sqlite", extra_args=("--workers", "2")) as server:
        assert len(psutil.Process(server.pid).children()) >= 2
        with httpx.Client(base_url=server.base_url, headers={"X-API-KEY": server.api_key}, timeout=30) as http:
            def once(_: int) -> httpx.Response:
                return http.post("/prompts/log", json={**BODY, "output": "once"},
                                 headers={"Idempotency-Key": "workers-key"})

            def log(i: int) -> int:
                return http.post("/prompts/log", json={**BODY, "output": str(i)}).status_code

            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(once, range(8)))
                assert list(pool.map(log, range(40))) == [200] * 40
            assert len({a.json()["id"] for a in answers}) == 1
            file_id = answers[0].json()["prompt_id"]
            assert http.get("/logs", params={"file_id": file_id}).json()["total"] == 41


def test_a_postgres_url_is_shown_without_its_password() -> None:
    shown = describe_db("postgresql://app:s3cret-pw@db.internal:5432/humanloop")
    assert shown == "postgresql://app@db.internal:5432/humanloop" and "s3cret" not in shown
    assert describe_db("/var/lib/humanloop.sqlite") == "/var/lib/humanloop.sqlite"
    from humanloop_core.server import LocalServer

    assert "s3cret" not in repr(LocalServer(db="postgresql://app:s3cret-pw@db.internal/humanloop"))
