"""End to end against the local server: calls per second and time to first chunk.

The server (``LocalServer``, SQLite, the deterministic ``mock`` provider with no chunk
delay) runs in its own process, so client and server do not share one GIL. Each
throughput is measured for raw httpx (``post`` + ``json.loads``), this client and the
official SDK on the same server in the same run, the three alternating; ``ratio`` is raw
throughput / the variant's throughput (for time to first chunk, the variant's time /
raw time), so 1.00x means the client adds nothing the server does not already dwarf.

Every call is logged by the server (``save`` defaults to true), so the log table grows
as a phase runs: each concurrency gets a fresh server, and within it the variants
alternate round by round, so each meets the same table.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import httpx

from tests.benchmarks._common import Row, print_rows, row

PATH = "bench/server"
MESSAGES = [{"role": "user", "content": "Say something short."}]
PROMPT = {"model": "mock-1", "provider": "mock", "template": [{"role": "system", "content": "Be brief."}]}
CONCURRENCY = (1, 10, 100)
# Calls per measurement: enough for a stable rate, few enough to keep `make bench` short.
TOTAL = {1: 600, 10: 1200, 100: 1800}
TTFC_SAMPLES = 50
OFFICIAL = "official humanloop 0.8.38"
ROUNDS = 3


def _serve(conn: Any) -> None:
    """Child process: run the local server until the parent closes the pipe."""
    from humanloop_core.server import LocalServer

    with LocalServer(db=":memory:", mock_chunk_delay=0.0) as srv:
        conn.send((srv.base_url, srv.api_key))
        with suppress(EOFError):
            conn.recv()


@contextmanager
def server_process() -> Iterator[tuple[str, str]]:
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("local server did not start within 60 s")
        base_url, api_key = parent.recv()
        yield base_url, api_key
    finally:
        parent.close()
        proc.join(10)
        if proc.is_alive():
            proc.terminate()


def _threaded_rate(one_call: Callable[[], Any], concurrency: int, total: int) -> float:
    """Calls per second with ``concurrency`` threads sharing one client."""
    per_worker = total // concurrency

    def worker() -> None:
        for _ in range(per_worker):
            one_call()

    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
        return per_worker * concurrency / (time.perf_counter() - start)


async def _async_rate(one_call: Callable[[], Any], concurrency: int, total: int) -> float:
    per_worker = total // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await one_call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - start)


def _sync_calls(base_url: str, api_key: str) -> dict[str, Callable[[], Any]]:
    from humanloop import Humanloop as OfficialSync

    from humanloop_core import Humanloop

    limits = httpx.Limits(max_connections=max(CONCURRENCY), max_keepalive_connections=max(CONCURRENCY))
    raw = httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, limits=limits)
    ours = Humanloop(api_key=api_key, base_url=base_url, http_client=httpx.Client(limits=limits))
    payload = {"path": PATH, "messages": MESSAGES}
    official = OfficialSync(api_key=api_key, base_url=base_url, httpx_client=httpx.Client(limits=limits))
    return {
        "raw httpx": lambda: json.loads(raw.post("/prompts/call", json=payload).content),
        "humanloop_core": lambda: ours.prompts.call(path=PATH, messages=MESSAGES),
        OFFICIAL: lambda: official.prompts.call(path=PATH, messages=MESSAGES),
    }


def _async_calls(base_url: str, api_key: str) -> dict[str, Callable[[], Any]]:
    from humanloop import AsyncHumanloop as OfficialAsync

    from humanloop_core import AsyncHumanloop

    limits = httpx.Limits(max_connections=max(CONCURRENCY), max_keepalive_connections=max(CONCURRENCY))
    raw = httpx.AsyncClient(base_url=base_url, headers={"X-API-KEY": api_key}, limits=limits)
    ours = AsyncHumanloop(api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(limits=limits))
    payload = {"path": PATH, "messages": MESSAGES}

    async def raw_call() -> Any:
        return json.loads((await raw.post("/prompts/call", json=payload)).content)

    async def our_call() -> Any:
        return await ours.prompts.call(path=PATH, messages=MESSAGES)

    official = OfficialAsync(api_key=api_key, base_url=base_url, httpx_client=httpx.AsyncClient(limits=limits))

    async def official_call() -> Any:
        return await official.prompts.call(path=PATH, messages=MESSAGES)

    return {"raw httpx": raw_call, "humanloop_core": our_call, OFFICIAL: official_call}


Measure = Callable[[Callable[[], Any], int, int], float]


@contextmanager
def served_prompt() -> Iterator[tuple[str, str]]:
    """A fresh server (empty log table) in its own process, with the bench prompt saved."""
    from humanloop_core import Humanloop

    with server_process() as (base_url, api_key):
        with Humanloop(api_key=api_key, base_url=base_url) as setup:
            setup.prompts.upsert(path=PATH, **PROMPT)
        yield base_url, api_key


def _phase(mode: str, conc: int) -> dict[str, float]:
    """Median calls/s of each variant at one concurrency, on a server of its own so the
    phases do not inherit each other's logs; the variants alternate round by round so
    a busy moment on the machine, or a longer log table, hits them alike."""
    with served_prompt() as (base_url, api_key):
        loop = asyncio.new_event_loop()  # the async pools are bound to the loop they first ran on
        try:
            if mode == "sync":
                calls, measure = _sync_calls(base_url, api_key), _threaded_rate
            else:
                calls = _async_calls(base_url, api_key)

                def measure(fn: Callable[[], Any], conc: int, total: int) -> float:
                    return loop.run_until_complete(_async_rate(fn, conc, total))

            for fn in calls.values():  # connections open, code paths warm
                measure(fn, 1, 20)
            samples: dict[str, list[float]] = {name: [] for name in calls}
            for _ in range(ROUNDS):
                for name, fn in calls.items():
                    samples[name].append(measure(fn, conc, TOTAL[conc] // ROUNDS))
        finally:
            loop.close()
    rates = {name: statistics.median(values) for name, values in samples.items()}
    for name, rate in rates.items():
        print(f"  {mode} {conc:>3} concurrent, {name}: {rate:.0f} calls/s", flush=True)
    return rates


def _rate_rows(mode: str, conc: int, rates: dict[str, float]) -> list[Row]:
    raw = rates["raw httpx"]
    return [
        row(f"{mode} calls/s, {conc} concurrent, {name}", rate, "calls/s", raw / rate)
        for name, rate in rates.items()
    ]


def _ttfc(base_url: str, api_key: str) -> dict[str, float]:
    """Median seconds from issuing a streamed call to holding its first parsed event."""
    from humanloop_core import Humanloop

    raw = httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key})
    ours = Humanloop(api_key=api_key, base_url=base_url)
    payload = {"path": PATH, "messages": MESSAGES, "stream": True}

    def raw_first() -> float:
        start = time.perf_counter()
        with raw.stream("POST", "/prompts/call", json=payload) as r:
            lines = r.iter_lines()
            for line in lines:
                if line.startswith("data:"):
                    json.loads(line[5:])
                    elapsed = time.perf_counter() - start
                    for _ in lines:  # drain so the connection is reused
                        pass
                    return elapsed
        raise AssertionError("no event")

    def our_first() -> float:
        start = time.perf_counter()
        with ours.prompts.call(path=PATH, messages=MESSAGES, stream=True) as stream:
            for _ in stream:
                elapsed = time.perf_counter() - start
                for _ in stream:
                    pass
                return elapsed
        raise AssertionError("no event")

    samples: dict[str, list[float]] = {"raw httpx": [], "humanloop_core": []}
    for _ in range(TTFC_SAMPLES):
        samples["raw httpx"].append(raw_first())
        samples["humanloop_core"].append(our_first())
    return {name: statistics.median(v) for name, v in samples.items()}


def run() -> list[Row]:
    rows: list[Row] = []
    for mode in ("sync", "async"):
        for conc in CONCURRENCY:
            rows += _rate_rows(mode, conc, _phase(mode, conc))
    with served_prompt() as (base_url, api_key):
        ttfc = _ttfc(base_url, api_key)
    for name, seconds in ttfc.items():
        rows.append(row(f"time to first chunk, {name}", seconds * 1000, "ms", seconds / ttfc["raw httpx"]))
    return rows


if __name__ == "__main__":
    print_rows(run())
