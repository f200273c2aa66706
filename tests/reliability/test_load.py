"""Load: 200 concurrent async calls on one ``AsyncHumanloop`` all succeed, each with its own
answer and its own stored log.

Retries are off, so a request the server or the pool dropped under load fails the test
instead of being quietly retried; the pool (100 connections by default) must queue the
rest rather than time them out.
"""

from __future__ import annotations

import asyncio

from humanloop_core import AsyncHumanloop

CONCURRENT = 200
KERNEL = {"model": "mock-1", "provider": "mock"}


async def test_200_concurrent_async_calls_all_succeed(
    base_url: str, api_key: str, unique_path: str
) -> None:
    client = AsyncHumanloop(api_key=api_key, base_url=base_url, max_retries=0, timeout=60)
    async with client:

        async def call(i: int) -> tuple[str | None, str, str]:
            response = await client.prompts.call(
                path=unique_path,
                prompt=KERNEL,
                messages=[{"role": "user", "content": f"request number {i}"}],
            )
            return response.logs[0].output, response.id, response.prompt.id

        results = await asyncio.gather(*(call(i) for i in range(CONCURRENT)))
        prompt_ids = {prompt_id for _, _, prompt_id in results}
        assert len(prompt_ids) == 1  # concurrent first calls on a new path made one prompt
        stored = [log.id async for log in await client.logs.list(prompt_ids.pop(), size=100)]

    # No cross-talk between concurrent requests: each reply echoes its own request.
    expected = [f"You said: request number {i}" for i in range(CONCURRENT)]
    assert [output for output, _, _ in results] == expected
    log_ids = {log_id for _, log_id, _ in results}
    assert len(log_ids) == CONCURRENT
    assert sorted(stored) == sorted(log_ids)  # each call logged exactly once
