"""Async: concurrent calls with asyncio.gather, an async stream and async pagination.

    python examples/async_calls.py
"""

from __future__ import annotations

import asyncio
import time

from _local import MOCK_PROMPT, backend

from humanloop_core import AsyncHumanloop

QUESTIONS = ["What is 2 + 2?", "Name a colour.", "What is the boiling point of water?", "Say hi."]


async def run(base_url: str, api_key: str) -> None:
    async with AsyncHumanloop(api_key=api_key, base_url=base_url) as client:
        await client.prompts.upsert(path="examples/async", **MOCK_PROMPT)

        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.prompts.call(path="examples/async", messages=[{"role": "user", "content": q}])
                for q in QUESTIONS
            )
        )
        elapsed = time.perf_counter() - started
        for question, response in zip(QUESTIONS, responses, strict=True):
            print(f"{question!r} -> {response.logs[0].output!r}")
        print(f"{len(responses)} concurrent calls in {elapsed * 1000:.0f} ms")

        stream = await client.prompts.call(
            path="examples/async", messages=[{"role": "user", "content": "Count to five."}], stream=True
        )
        async with stream:
            text = "".join([event.output or "" async for event in stream])
        print(f"async stream: {text!r}")

        pager = await client.prompts.list(size=1)
        paths = [prompt.path async for prompt in pager]
        print(f"async pagination: {paths}")


def main() -> None:
    with backend() as (base_url, api_key):
        asyncio.run(run(base_url, api_key))


if __name__ == "__main__":
    main()
