"""Load: 200 concurrent async calls on one ``AsyncHumanloop`` all succeed, each with its own answer.

Retries are off, so a request the server or the pool dropped under load fails the test
instead of being quietly retried; the pool (100 connections by default) must queue the
rest rather than time them out.
"""

from __future__ import annotations

import asyncio

from humanloop_core import AsyncHumanloop

CONCURRENT = 200
KERNEL = {"model": "mock-1", "provider": "mock"}


async def test_200_concurrent_async_calls_all_succeed(base_url: str, api_key: str) -> None:
    async with AsyncHumanloop(
        api_key=api_key, base_url=base_url, max_retries=0, timeout=60
    ) as client:

        async def call(i: int) -> tuple[int, str | None, str]:
            response = await client.prompts.call(
                path="reliability/load",
                prompt=KERNEL,
                metadata={"n": i},
                messages=[{"role": "user", "content": f"request number {i}"}],
            )
            return i, response.logs[0].output, response.id

        results = await asyncio.gather(*(call(i) for i in range(CONCURRENT)))

    # No cross-talk between concurrent requests: each reply echoes its own request.
    assert [output for _, output, _ in results] == [
        f"You said: request number {i}" for i in range(CONCURRENT)
    ]
    assert len({log_id for _, _, log_id in results}) == CONCURRENT  # each call logged once
