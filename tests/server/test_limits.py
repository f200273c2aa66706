"""Input limits (``humanloop_core.server.limits``): refused up front with a precise 4xx.

Each of these was accepted once and broke later: a 100 MB body held the server at
hundreds of MB; a lone surrogate or metadata nested 255 deep was stored and then every
page of logs holding it answered 500; a page number of 1e16 overflowed SQL's integers;
``%0a`` in a path forged a line of the access log.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from humanloop_core.server import LocalServer
from humanloop_core.server.limits import MAX_PAGE, Limits, json_problem
from tests.reliability.server_process import ServerProcess
from tests.server.conftest import MOCK

MiB = 1024 * 1024


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _raw_post(port: int, path: str, api_key: str, head: dict[str, str], chunks: list[bytes]) -> bytes:
    """Send a request by hand (headers, then ``chunks`` as they are) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"X-API-KEY: {api_key}",
                 "Content-Type: application/json", *(f"{k}: {v}" for k, v in head.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in chunks:
            sock.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer


def _status_and_detail(answer: bytes) -> tuple[int, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["detail"]


def test_body_over_the_limit_is_a_413_and_never_read_whole(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "big.sqlite") as server:
        process = psutil.Process(server.pid)
        before = process.memory_info().rss
        # Declared too large: refused before any of it is sent, let alone read.
        answer = _raw_post(server.port, "/v5/prompts/log", server.api_key,
                           {"Content-Length": str(100 * MiB)}, [])
        assert _status_and_detail(answer) == (413, f"request body is {100 * MiB} bytes; this server "
                                                   f"accepts at most {Limits().max_body_bytes} bytes (--max-body-bytes)")
        # Undeclared (chunked): refused once past the limit; the rest is read and dropped,
        # so the client gets the 413 rather than a reset connection.
        chunk = b"%x\r\n%s\r\n" % (MiB, b"x" * MiB)
        answer = _raw_post(server.port, "/v5/prompts/log", server.api_key, {"Transfer-Encoding": "chunked"},
                           [chunk] * (Limits().max_body_bytes // MiB + 8) + [b"0\r\n\r\n"])
        status, detail = _status_and_detail(answer)
        assert status == 413 and "larger than that" in detail
        grown = process.memory_info().rss - before
        assert grown < 40 * MiB, f"server RSS grew {grown / MiB:.0f} MiB"
        with httpx.Client(base_url=server.base_url, headers={"X-API-KEY": server.api_key}) as http:
            assert http.get("/prompts").status_code == 200  # still serving


def test_limits_are_configurable(tmp_path: Path) -> None:
    with LocalServer(db=tmp_path / "l.sqlite", limits=Limits(max_body_bytes=2000, max_json_depth=5)) as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        body = {"path": "limits/p", "prompt": MOCK, "output": "x" * 1000}
        assert http.post("/prompts/log", json=body).status_code == 200
        refused = http.post("/prompts/log", json={**body, "output": "x" * 2000})
        assert refused.status_code == 413
        assert refused.json()["detail"].endswith("accepts at most 2000 bytes (--max-body-bytes)")
        assert http.post("/prompts/log", json={**body, "metadata": _nested(3)}).status_code == 200
        deep = http.post("/prompts/log", json={**body, "metadata": _nested(5)})
        assert deep.status_code == 422
        # The body is level 1, so the innermost object of metadata is level 6.
        assert deep.json()["detail"][0]["loc"] == ["body", "metadata", "a", "a", "a", "a"]


def test_deep_json_is_refused_with_where(http: httpx.Client, unique_path: str) -> None:
    ok = http.post("/prompts/log", json={"path": unique_path, "prompt": MOCK, "metadata": _nested(60)})
    assert ok.status_code == 200
    listed = http.get("/logs", params={"file_id": ok.json()["prompt_id"]})
    assert listed.status_code == 200
    for depth in (64, 255):
        refused = http.post("/prompts/log", json={"path": unique_path, "prompt": MOCK,
                                                  "metadata": _nested(depth)})
        assert refused.status_code == 422
        [problem] = refused.json()["detail"]
        assert problem["msg"] == "JSON nested deeper than 64 levels (the limit)"
        assert problem["loc"][:3] == ["body", "metadata", "a"] and len(problem["loc"]) == 65
    # Deeper than Python's own parser goes: still a 422, not a crash.
    brackets = b"[" * 100_000 + b"]" * 100_000
    refused = http.post("/prompts/log", content=brackets, headers={"content-type": "application/json"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "JSON nested deeper than 64 levels (the limit)"


def test_lone_surrogates_are_refused_and_pairs_kept(http: httpx.Client, unique_path: str) -> None:
    def post(text: str) -> httpx.Response:
        # By hand, to send exactly these escapes.
        raw = f'{{"path": "{unique_path}", "prompt": {json.dumps(MOCK)}, "output": "{text}"}}'
        return http.post("/prompts/log", content=raw.encode(), headers={"content-type": "application/json"})

    for lone in ("\\ud83d", "ok \\ude00", "\\ud83d\\ud83d", "\\uDBFF end"):
        refused = post(lone)
        assert refused.status_code == 422, lone
        [problem] = refused.json()["detail"]
        assert problem["loc"] == ["body", "output"] and "lone UTF-16 surrogate" in problem["msg"]
    kept = post("\\ud83d\\ude00 and \\\\ud83d as plain text")
    assert kept.status_code == 200
    assert http.get(f"/logs/{kept.json()['id']}").json()["output"] == "\U0001F600 and \\ud83d as plain text"


def test_a_stored_lone_surrogate_is_served_escaped(tmp_path: Path) -> None:
    # Rows written before the server refused them (or by another writer) must not 500.
    with LocalServer(db=tmp_path / "poison.sqlite") as srv, \
            httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        created = http.post("/prompts/log", json={"path": "poison/p", "prompt": MOCK, "output": "fine"}).json()
        log = srv.store.get_log(created["id"])
        assert log is not None
        srv.store.update_log(created["id"], {**log["body"], "output": "cut \ud83d"})
        listed = http.get("/logs", params={"file_id": created["prompt_id"]})
        assert listed.status_code == 200
        assert b'"cut \\ud83d"' in listed.content


def test_page_numbers_are_bounded(http: httpx.Client, unique_path: str) -> None:
    created = http.post("/prompts/log", json={"path": unique_path, "prompt": MOCK}).json()
    for route, params in (("/prompts", {}), ("/logs", {"file_id": created["prompt_id"]}), ("/files", {})):
        refused = http.get(route, params={**params, "page": 10**16, "size": 1000})
        assert refused.status_code == 422, route
        assert refused.json()["detail"][0]["loc"] == ["query", "page"]
        last = http.get(route, params={**params, "page": MAX_PAGE, "size": 1000})
        assert last.status_code == 200 and last.json()["records"] == []


def test_a_newline_in_the_path_cannot_forge_an_access_log_line(
        http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if "/v5/admin" in r.getMessage()]

    with caplog.at_level(logging.INFO, logger="humanloop_core.server"):
        http.get("/prompts%0a2026-01-01 INFO GET /v5/admin 200 1.0ms%0d%09x")
        deadline = time.monotonic() + 5
        while not lines() and time.monotonic() < deadline:  # written just after the answer
            time.sleep(0.01)
    [line] = lines()
    assert "\n" not in line and "\r" not in line and "\t" not in line
    assert "/v5/prompts\\n2026-01-01 INFO GET /v5/admin 200 1.0ms\\r\\tx 404" in line


def test_json_checks_scan_ordinary_bodies_without_parsing() -> None:
    # The fast path: no surrogate escape and fewer brackets than the limit.
    assert json_problem(b'{"a": [1, 2, {"b": "\\u00e9"}]}', 64) is None
    assert json_problem(b"not json [[[[", 2) is None  # the route reports invalid JSON itself
    start = time.perf_counter()
    assert json_problem(json.dumps({"k": ["v"] * 200_000}).encode(), 64) is None
    assert time.perf_counter() - start < 2


def test_the_command_line_sets_the_limits_for_every_worker(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.reliability.server_process import free_port

    port, key = free_port(), "hl-limits-key"
    with (tmp_path / "server.log").open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "humanloop_core.server", "--port", str(port), "--db",
             str(tmp_path / "w.sqlite"), "--api-key", key, "--workers", "2", "--max-body-bytes", "1500",
             "--max-json-depth", "4"], stdout=sink, stderr=sink, cwd=Path(__file__).resolve().parents[2])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v5", headers={"X-API-KEY": key}) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    http.get("/prompts")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                    time.sleep(0.1)
            # New connections each time, so both workers answer some of them.
            for _ in range(6):
                big = http.post("/prompts/log", json={"path": "w/p", "prompt": MOCK, "output": "x" * 2000},
                                headers={"Connection": "close"})
                assert big.status_code == 413 and "at most 1500 bytes" in big.json()["detail"]
                deep = http.post("/prompts/log", json={"path": "w/p", "prompt": MOCK, "metadata": _nested(4)},
                                 headers={"Connection": "close"})
                assert deep.status_code == 422
    finally:
        proc.terminate()
        proc.wait(timeout=20)
