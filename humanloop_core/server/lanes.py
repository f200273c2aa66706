"""Two lanes of threads for the store work of requests: one starts them, one finishes them.

Blocking storage never runs on the event loop; it runs here. Work that completes a request
(commit its log, keep its idempotent answer) has its own threads, so it never queues behind
a thousand requests still starting: under many connections requests finish at the rate
they start instead of all starting first. A few threads per lane, because SQLite commits
one write at a time and every thread shares one GIL: more threads only add switching. On
the shared 40-thread pool the call rate at 100 connections fell to 0.53-0.69x the rate at
10 (bench_server_load); with the lanes it held. PostgreSQL round trips still overlap
across a lane's threads.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
from anyio import to_thread

T = TypeVar("T")
THREADS = 6
"""Threads per lane."""

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]]
_by_loop = weakref.WeakKeyDictionary()


def _lanes() -> tuple[anyio.CapacityLimiter, anyio.CapacityLimiter]:
    # A limiter belongs to one event loop, and tests run several servers, each on its own.
    loop = asyncio.get_running_loop()
    lanes = _by_loop.get(loop)
    if lanes is None:
        lanes = _by_loop[loop] = (anyio.CapacityLimiter(THREADS), anyio.CapacityLimiter(THREADS))
    return lanes


async def starting(fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)`` off the loop in the start lane (it finishes even if the caller is
    cancelled, as ``to_thread.run_sync`` does)."""
    return await to_thread.run_sync(fn, *args, limiter=_lanes()[0])


async def finishing(fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)`` off the loop in the finish lane."""
    return await to_thread.run_sync(fn, *args, limiter=_lanes()[1])
