"""End to end against the local server: calls per second and time to first chunk.

The server (``LocalServer``, SQLite, the deterministic ``mock`` provider with no chunk
delay) runs in its own process, so client and server do not share one GIL. Each
figure is measured for this client and for raw httpx (``post`` + ``json.loads``) on the
same server in the same run; ``ratio`` is raw throughput / this client's throughput
(or, for time to first chunk, this client's time / raw time), so 1.00x means the client
adds nothing the server does not already dwarf.
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
    from humanloop_core import Humanloop

    limits = httpx.Limits(max_connections=max(CONCURRENCY), max_keepalive_connections=max(CONCURRENCY))
    raw = httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, limits=limits)
    ours = Humanloop(api_key=api_key, base_url=base_url, http_client=httpx.Client(limits=limits))
    payload = {"path": PATH, "messages": MESSAGES}
    return {
        "raw httpx": lambda: json.loads(raw.post("/prompts/call", json=payload).content),
        "humanloop_core": lambda: ours.prompts.call(path=PATH, messages=MESSAGES),
    }


def _async_calls(base_url: str, api_key: str) -> dict[str, Callable[[], Any]]:
    from humanloop_core import AsyncHumanloop

    limits = httpx.Limits(max_connections=max(CONCURRENCY), max_keepalive_connections=max(CONCURRENCY))
    raw = httpx.AsyncClient(base_url=base_url, headers={"X-API-KEY": api_key}, limits=limits)
    ours = AsyncHumanloop(api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(limits=limits))
    payload = {"path": PATH, "messages": MESSAGES}

    async def raw_call() -> Any:
        return json.loads((await raw.post("/prompts/call", json=payload)).content)

    async def our_call() -> Any:
        return await ours.prompts.call(path=PATH, messages=MESSAGES)

    return {"raw httpx": raw_call, "humanloop_core": our_call}


Measure = Callable[[Callable[[], Any], int, int], float]


def _median_rates(mode: str, measure: Measure, calls: dict[str, Callable[[], Any]]) -> dict[str, dict[int, float]]:
    """Median calls/s per variant and concurrency, the variants alternating round by
    round so a busy moment on the machine hits both alike."""
    rates: dict[str, dict[int, float]] = {name: {} for name in calls}
    for conc in CONCURRENCY:
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(ROUNDS):
            for name, fn in calls.items():
                samples[name].append(measure(fn, conc, TOTAL[conc] // ROUNDS))
        for name in calls:
            rates[name][conc] = statistics.median(samples[name])
            print(f"  {mode} {conc:>3} concurrent, {name}: {rates[name][conc]:.0f} calls/s", flush=True)
    return rates


def _rate_rows(mode: str, rates: dict[str, dict[int, float]]) -> list[Row]:
    rows = []
    for conc in CONCURRENCY:
        raw = rates["raw httpx"][conc]
        for name, by_conc in rates.items():
            rows.append(row(f"{mode} calls/s, {conc} concurrent, {name}", by_conc[conc], "calls/s", raw / by_conc[conc]))
    return rows


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
    with server_process() as (base_url, api_key):
        from humanloop_core import Humanloop

        with Humanloop(api_key=api_key, base_url=base_url) as setup:
            setup.prompts.upsert(path=PATH, **PROMPT)
        sync_calls = _sync_calls(base_url, api_key)
        async_calls = _async_calls(base_url, api_key)
        for fn in sync_calls.values():  # warm both paths and the server
            for _ in range(20):
                fn()
        sync_rates = _median_rates("sync", _threaded_rate, sync_calls)
        loop = asyncio.new_event_loop()  # one loop for all: the async pools are bound to it
        try:
            rate = lambda fn, conc, total: loop.run_until_complete(_async_rate(fn, conc, total))  # noqa: E731
            async_rates = _median_rates("async", rate, async_calls)
        finally:
            loop.close()
        ttfc = _ttfc(base_url, api_key)
    rows = _rate_rows("sync", sync_rates) + _rate_rows("async", async_rates)
    for name, seconds in ttfc.items():
        rows.append(row(f"time to first chunk, {name}", seconds * 1000, "ms", seconds / ttfc["raw httpx"]))
    return rows


if __name__ == "__main__":
    print_rows(run())
