"""Server throughput under load: ``prompts.call`` on ``mock`` beside a bare FastAPI route.

Both servers run as their own processes, started as users start them (``python -m
humanloop_core.server`` on a SQLite file; ``uvicorn`` for the bare app), and take the same
load from the same generator in the same run: ``wrk`` (Debian package ``wrk``; ``make bench``
installs it when it can), else a multi-process asyncio generator of plain HTTP/1.1
keep-alive requests. The bare route reads the JSON body and answers the very bytes the
real server answered, so the difference is what the product does per call: resolve the
prompt, render, call the mock provider, commit the log, build the response.

Rows: calls/s at 1, 10, 100 and 1,000 open connections (ratio = bare / server: the issue's
goal is <= 2.00x, i.e. >= 0.5x the bare route), the rate at 100 and 1,000 relative to the
rate at 10 (goal >= 0.9), ``--workers 2`` on the SQLite file, and PostgreSQL with one and
with two replicas (two generators at once, rates summed) when a PostgreSQL can be started.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.benchmarks._common import Row, compare, print_rows, row
from tests.reliability.server_process import ServerProcess, free_port

PATH = "bench/load"
PROMPT = {"model": "mock-1", "provider": "mock", "template": [{"role": "system", "content": "Be brief."}]}
CALL = {"path": PATH, "messages": [{"role": "user", "content": "Say something short."}]}
API_KEY = "hl-bench-load"
CONNECTIONS = (1, 10, 100, 1000)
SECONDS = 4
# At 1,000 connections every request first queues for the server's start lane (server/
# lanes.py) behind the others: the first answers come a second or more after the load
# starts, so a short window would measure the queue filling, not the rate.
SECONDS_AT = {1000: 12}
_BODY_ENV = "HUMANLOOP_BENCH_BARE_BODY"


# -- the bare app ------------------------------------------------------------------------
def bare_app() -> Any:
    """``uvicorn --factory``: one POST route answering the canned JSON (read from a file)."""
    body = Path(os.environ[_BODY_ENV]).read_bytes()
    app = FastAPI()

    @app.post("/v5/prompts/call")
    async def call(request: Request) -> Response:
        await request.json()
        return Response(body, media_type="application/json")

    return app


@contextmanager
def bare_server(body: bytes, tmp: Path) -> Iterator[str]:
    path = tmp / "bare.json"
    path.write_bytes(body)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "tests.benchmarks.bench_server_load:bare_app",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env={**os.environ, _BODY_ENV: str(path)})
    url = f"http://127.0.0.1:{port}/v5"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the bare app exited with {proc.returncode}")
            try:
                httpx.post(url + "/prompts/call", json=CALL, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


# -- load generators -----------------------------------------------------------------------
def _wrk(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """(requests/s, failed requests) from wrk."""
    script = (f"wrk.method = \"POST\"\nwrk.body = [[{json.dumps(CALL)}]]\n"
              f"wrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"X-API-KEY\"] = \"{API_KEY}\"\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        threads = 1 if connections == 1 else 2
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                              "--timeout", "30s", "-s", fh.name, url + "/prompts/call"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(fh.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return rate, failed


async def _connection(host: str, port: int, request: bytes, until: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < until:
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0 if status.split(b" ", 2)[1].startswith(b"2") else 1] += 1
    finally:
        writer.close()


def _py_worker(host: str, port: int, path: str, connections: int, seconds: float, out: Any) -> None:
    body = json.dumps(CALL).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-KEY: {API_KEY}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    counts = [0, 0]

    async def main() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_connection(host, port, request, until, counts) for _ in range(connections)))

    asyncio.run(main())
    out.put(counts)


def _python_load(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """The fallback: one asyncio process per core, connections split among them."""
    parsed = httpx.URL(url + "/prompts/call")
    procs = min(os.cpu_count() or 1, connections)
    queue: Any = mp.get_context("spawn").Queue()
    workers = [mp.get_context("spawn").Process(
        target=_py_worker, args=(parsed.host, parsed.port, parsed.path, connections // procs
                                 + (1 if n < connections % procs else 0), seconds, queue))
        for n in range(procs)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(10)
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def ensure_wrk() -> str | None:
    """The generator in use: wrk when present (installed when apt-get may be used)."""
    if shutil.which("wrk"):
        return "wrk"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)
    return "wrk" if shutil.which("wrk") else None


def load(url: str, connections: int, generator: str | None) -> float:
    rate, failed = (_wrk if generator else _python_load)(url, connections, SECONDS_AT.get(connections, SECONDS))
    print(f"  {url} {connections:>4} connections: {rate:,.0f} requests/s, {failed} failed", flush=True)
    if failed:
        raise RuntimeError(f"{failed} requests failed at {connections} connections on {url}")
    return rate


# -- servers -------------------------------------------------------------------------------
@contextmanager
def product_servers(db: str, tmp: Path, count: int = 1, workers: int = 1) -> Iterator[list[str]]:
    """``count`` server processes (replicas) on ``db``, each with ``workers`` workers; the
    bench prompt saved."""
    extra = ("--log-level", "warning", *(("--workers", str(workers)) if workers > 1 else ()))
    servers = [ServerProcess(db, API_KEY, log=tmp / f"server-{n}.log", extra_args=extra) for n in range(count)]
    try:
        for server in servers:
            server.start(ready_timeout=120)
        httpx.post(servers[0].base_url + "/prompts", json={"path": PATH, **PROMPT},
                   headers={"X-API-KEY": API_KEY}, timeout=30).raise_for_status()
        yield [server.base_url for server in servers]
    finally:
        for server in servers:
            server.stop()


def _sqlite_rows(tmp: Path, generator: str | None) -> list[Row]:
    rows: list[Row] = []
    rates: dict[int, float] = {}
    with product_servers(str(tmp / "bench.sqlite"), tmp) as (url,):
        body = httpx.post(url + "/prompts/call", json=CALL, headers={"X-API-KEY": API_KEY}, timeout=30).content
        with bare_server(body, tmp) as bare_url:
            for conns in CONNECTIONS:  # side by side: bare, then the server, at each level
                bare = load(bare_url, conns, generator)
                rates[conns] = load(url, conns, generator)
                rows.append(row(f"bare FastAPI route, {conns} connections", bare, "calls/s", 1.0))
                rows.append(row(f"prompts.call (mock, SQLite), {conns} connections", rates[conns], "calls/s",
                                bare / rates[conns] if rates[conns] else None, "<= 2.00x (>= 0.5x bare)"))
    for conns in (100, 1000):
        rows.append(row(f"prompts.call rate at {conns} / rate at 10", rates[conns] / max(rates[10], 1e-9), "x",
                        target=">= 0.9"))
    with product_servers(str(tmp / "bench-workers.sqlite"), tmp, workers=2) as (url,):
        rate = load(url, 100, generator)
    rows.append(row("prompts.call, --workers 2 (SQLite), 100 connections", rate, "calls/s", rates[100] / rate,
                    "ratio vs 1 worker < 1.00x"))
    return rows


def _postgres_rows(tmp: Path, generator: str | None) -> list[Row]:
    from tests.server.postgres_server import PostgresServer, missing_reason

    reason = missing_reason()
    if reason is not None:
        print(f"  PostgreSQL rows skipped: {reason}", flush=True)
        return []
    pg = PostgresServer().start()
    try:
        counts = _count_rows(pg.fresh_schema(), "PostgreSQL")
        with product_servers(pg.fresh_schema(), tmp) as (url,):
            one = load(url, 100, generator)
        with product_servers(pg.fresh_schema(), tmp, count=2) as urls, mp.get_context("spawn").Pool(2) as pool:
            both = sum(pool.starmap(load, [(u, 50, generator) for u in urls]))
    finally:
        pg.stop()
    return [*counts, row("prompts.call (mock, PostgreSQL), 1 server, 100 connections", one, "calls/s", 1.0),
            row("prompts.call (PostgreSQL), 2 replicas, 2 x 50 connections", both, "calls/s", one / both,
                "ratio vs 1 server < 1.00x")]


BIG_TABLE = 100_000


def _count_rows(db: str, label: str) -> list[Row]:
    """``count_logs`` (per-version log counts, read by every file response) on a prompt
    with 100,000 logs: the counter rows kept by triggers beside counting the log rows, as
    the store did before."""
    from humanloop_core.server.store import now, open_store

    store = open_store(db)
    try:
        file = store.create_file("pr", "prompt", "bench/big")
        version = store.put_version(file["id"], "prv", "h", {"model": "mock-1"}, None)
        def batch(start: int) -> list[Row]:
            return [{"id": f"log_{n}", "type": "prompt", "file_id": file["id"], "version_id": version["id"],
                     "created_at": now(), "body": {"output": "x"}} for n in range(start, start + 5000)]

        started = time.perf_counter()
        for start in range(0, BIG_TABLE, 5000):
            store.insert_logs(batch(start))
        batched = BIG_TABLE / (time.perf_counter() - started)
        # The same 5,000-log batch as one statement each (how insert_logs wrote them before).
        one_by_one = [("INSERT INTO logs(id, type, file_id, version_id, created_at, body) VALUES (?,?,?,?,?,?)",
                       (log["id"], log["type"], log["file_id"], log["version_id"], log["created_at"], "{}"))
                      for log in batch(BIG_TABLE)]
        started = time.perf_counter()
        store._write(one_by_one)  # type: ignore[attr-defined]
        single = len(one_by_one) / (time.perf_counter() - started)
        counting = "SELECT version_id, count(*) AS n FROM logs WHERE file_id=? GROUP BY version_id"
        times = compare({"counter": lambda: store.count_logs(file["id"]),
                         "count(*)": lambda: store._all(counting, (file["id"],))},  # type: ignore[attr-defined]
                        loops=20, repeats=5, warmup=3)
    finally:
        store.close()
    return [row(f"insert_logs, 5,000-log batches ({label}), one statement for the batch", batched, "logs/s", 1.0),
            row(f"insert_logs, 5,000-log batch ({label}), a statement per log (before)", single, "logs/s",
                batched / single),
            row(f"count_logs, {BIG_TABLE:,} logs ({label}), counter rows", times["counter"] * 1e3, "ms", 1.0),
            row(f"count_logs, {BIG_TABLE:,} logs ({label}), counting rows (before)", times["count(*)"] * 1e3,
                "ms", times["count(*)"] / times["counter"])]


def _statement_rows(tmp: Path) -> list[Row]:
    """SQL statements one call runs (counted by SQLite's trace hook, as in
    tests/server/test_call_cost.py): a figure the shared machine's load can't move."""
    from humanloop_core.server.local import LocalServer
    from tests.server.test_call_cost import CALL as COUNTED_CALL
    from tests.server.test_call_cost import PROMPT as COUNTED_PROMPT
    from tests.server.test_call_cost import CountingStore

    store = CountingStore(str(tmp / "count.sqlite"))
    rows = []
    try:
        with LocalServer(store=store) as srv, \
                httpx.Client(base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as http:
            http.post("/prompts", json=COUNTED_PROMPT).raise_for_status()
            http.post("/prompts/call", json=COUNTED_CALL).raise_for_status()
            for stream in (False, True):
                store.statements.clear()
                store.counting = True
                for _ in range(20):
                    http.post("/prompts/call", json={**COUNTED_CALL, "stream": stream}).raise_for_status()
                store.counting = False
                rows.append(row(f"SQL statements per prompts.call{' (stream)' if stream else ''} (SQLite)",
                                len(store.statements) / 20, "statements"))
    finally:
        store.close()
    return rows


def run() -> list[Row]:
    generator = ensure_wrk()
    print(f"  load generator: {generator or 'python asyncio processes (wrk not found)'}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        # The machine is shared: the load beside the figures says how much to trust them.
        rows = [row("load average (1 min) when the load rows started", os.getloadavg()[0], "load")]
        rows += _statement_rows(Path(tmp))
        rows += _count_rows(str(Path(tmp) / "big.sqlite"), "SQLite")
        rows += _sqlite_rows(Path(tmp), generator)
        rows += _postgres_rows(Path(tmp), generator)
    return rows


if __name__ == "__main__":
    print_rows(run())
