"""Soak: minutes of mixed calls and streams; resident memory must stay flat on both sides.

Run with ``make soak`` or ``python -m tests.reliability.soak [--seconds N]`` (default 600,
or ``SOAK_SECONDS``). The product server runs as a child process on a temporary SQLite
file; this process drives it with an ``AsyncHumanloop`` (several concurrent workers) and
a ``Humanloop`` in a thread, mixing plain calls, full streams, streams broken off after
the first event, logs, gets and lists. The RSS of both processes is sampled throughout.

Pass criterion: after the warm-up, the median RSS of the last tenth of the run is less
than 10% above the median of the first tenth after warm-up, for client and server, and
no call failed. A leak of even a few KB per call shows up as steady growth over tens of
thousands of calls, while allocator noise does not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from humanloop_core import AsyncHumanloop, Humanloop
from tests.reliability.server_process import ServerProcess

KERNEL = {
    "model": "mock-1",
    "provider": "mock",
    "template": [{"role": "system", "content": "You are terse."}],
}
PATH = "soak/assistant"
MAX_GROWTH = 0.10
# Latencies kept per operation for the percentiles. Bounded on purpose: this process's RSS
# is what the soak measures, and keeping every sample (~32 B each, 118k in ten minutes)
# was itself a steady climb of ~3.6 MiB that read as a client leak.
SAMPLES_PER_OP = 4096


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def record(self, op: str, started: float, error: BaseException | None = None) -> None:
        with self.lock:
            if error is not None:
                self.errors[f"{op}: {type(error).__name__}: {error}"[:200]] += 1
                return
            self.counts[op] += 1
            latency = time.perf_counter() - started
            kept = self.latencies[op]
            if len(kept) < SAMPLES_PER_OP:
                kept.append(latency)
            else:  # reservoir sampling: every sample stays equally likely to be kept
                slot = self.rng.randrange(self.counts[op])
                if slot < SAMPLES_PER_OP:
                    kept[slot] = latency


def _messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"request {i}: say something about the number {i}"}]


async def _async_op(client: AsyncHumanloop, i: int) -> str:
    kind = i % 5
    if kind == 0:
        await client.prompts.call(path=PATH, prompt=KERNEL, messages=_messages(i))
        return "call"
    if kind == 1:
        stream = await client.prompts.call(
            path=PATH, prompt=KERNEL, messages=_messages(i), stream=True
        )
        async for _ in stream:
            pass
        return "stream"
    if kind == 2:
        stream = await client.prompts.call(
            path=PATH, prompt=KERNEL, messages=_messages(i), stream=True
        )
        async with stream:
            async for _ in stream:
                break  # broken off early: the connection must be released, not leaked
        return "stream-break"
    if kind == 3:
        await client.prompts.log(path=PATH, prompt=KERNEL, messages=_messages(i), output="ok")
        return "log"
    page = await client.prompts.list(size=5)
    _ = page.items
    return "list"


async def _async_workers(client: AsyncHumanloop, deadline: float, n: int, stats: Stats) -> int:
    done = 0

    async def worker(offset: int) -> None:
        nonlocal done
        i = offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            op = f"async {i % 5}"
            try:
                op = "async " + await _async_op(client, i)
                stats.record(op, started)
            except Exception as exc:  # recorded and reported; the soak keeps going
                stats.record(op, started, exc)
            done += 1
            i += n

    await asyncio.gather(*(worker(k) for k in range(n)))
    return done


def _sync_worker(client: Humanloop, deadline: float, stats: Stats, count: list[int]) -> None:
    i = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        op = "sync stream" if i % 2 else "sync call"
        try:
            if i % 2:
                with client.prompts.call(
                    path=PATH, prompt=KERNEL, messages=_messages(i), stream=True
                ) as stream:
                    for _ in stream:
                        pass
            else:
                client.prompts.call(path=PATH, prompt=KERNEL, messages=_messages(i))
            stats.record(op, started)
        except Exception as exc:
            stats.record(op, started, exc)
        count[0] += 1
        i += 1


def _sampler(
    pids: dict[str, int],
    stop: threading.Event,
    every: float,
    samples: list[tuple[float, dict[str, int]]],
) -> None:
    procs = {name: psutil.Process(pid) for name, pid in pids.items()}
    start = time.monotonic()
    while not stop.wait(every):
        samples.append(
            (time.monotonic() - start, {n: p.memory_info().rss for n, p in procs.items()})
        )


def growth(
    samples: list[tuple[float, dict[str, int]]], warmup: float, name: str
) -> tuple[int, int, float]:
    """(baseline, final, relative growth) from the medians of the first and last tenth after warm-up."""
    after = [s[name] for t, s in samples if t >= warmup]
    if len(after) < 4:
        raise SystemExit(f"too few samples after warm-up ({len(after)}); run longer")
    tenth = max(2, len(after) // 10)
    base, final = statistics.median(after[:tenth]), statistics.median(after[-tenth:])
    return int(base), int(final), (final - base) / base


def run(seconds: float, warmup: float, concurrency: int) -> int:
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(Path(tmp) / "soak.db") as server:
        stats, samples, stop = Stats(), [], threading.Event()
        sampler = threading.Thread(
            target=_sampler,
            daemon=True,
            args=(
                {"client": os.getpid(), "server": server.pid},
                stop,
                max(0.5, seconds / 200),
                samples,
            ),
        )
        sampler.start()
        deadline = time.monotonic() + seconds
        sync_count = [0]
        with Humanloop(api_key=server.api_key, base_url=server.base_url) as sync_client:
            thread = threading.Thread(
                target=_sync_worker, args=(sync_client, deadline, stats, sync_count)
            )
            thread.start()

            async def drive() -> int:
                async with AsyncHumanloop(
                    api_key=server.api_key, base_url=server.base_url
                ) as client:
                    return await _async_workers(client, deadline, concurrency, stats)

            async_count = asyncio.run(drive())
            thread.join()
        stop.set()
        sampler.join()
        return _report(seconds, warmup, samples, stats, async_count + sync_count[0])


def _trajectory(samples: list[tuple[float, dict[str, int]]], name: str, points: int = 10) -> str:
    """RSS at evenly spaced moments: a leak climbs steadily, a warm-up levels off."""
    step = max(1, len(samples) // points)
    return "  ".join(f"{t:.0f}s:{s[name] / 2**20:.1f}" for t, s in samples[::step])


def _report(seconds: float, warmup: float, samples: list[Any], stats: Stats, total: int) -> int:
    print(
        f"soak: {seconds:.0f}s, {total} operations ({total / seconds:.0f}/s), warm-up {warmup:.0f}s"
    )
    for op, lat in sorted(stats.latencies.items()):
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"  {op:<20} n={stats.counts[op]:>7}  p50={lat[len(lat) // 2] * 1000:7.1f} ms  p99={p99 * 1000:7.1f} ms"
        )
    failed = False
    for name in ("client", "server"):
        base, final, rel = growth(samples, warmup, name)
        verdict = "ok" if rel < MAX_GROWTH else "FAIL"
        failed |= rel >= MAX_GROWTH
        print(
            f"  RSS {name:<6} {base / 2**20:7.1f} MiB -> {final / 2**20:7.1f} MiB  ({rel:+.1%})  {verdict}"
        )
        print(f"    trajectory (MiB): {_trajectory(samples, name)}")
    for message, n in stats.errors.most_common(10):
        print(f"  ERROR x{n}: {message}")
    failed |= bool(stats.errors)
    print("soak: FAIL" if failed else "soak: PASS")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds excluded from the growth check (default: 20%% of the run, at most 60)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("SOAK_CONCURRENCY", 8))
    )
    args = parser.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else min(60.0, args.seconds * 0.2)
    return run(args.seconds, warmup, args.concurrency)


if __name__ == "__main__":
    sys.exit(main())
