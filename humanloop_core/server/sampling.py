"""``num_samples``: several samples of one prompt call, really sampled.

A provider whose API takes ``n`` gets one request for all samples; any other gets one
request per sample, made concurrently. Streams of separate requests are interleaved as
their chunks arrive, each chunk tagged with its sample's index.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from .providers import Chunk, Completion, Provider, ProviderRequest

# Bounds the fan-out of one call: each sample is a provider request.
MAX_SAMPLES = 16


async def complete(provider: Provider, request: ProviderRequest, samples: int) -> Completion:
    """The first sample, the others as its ``alternatives``; token counts are the totals."""
    if samples <= 1:
        return await provider.complete(request)
    if provider.capabilities.n:
        return await provider.complete(replace(request, n=samples))
    done = await asyncio.gather(*(provider.complete(replace(request)) for _ in range(samples)))
    first = done[0]
    first.alternatives = list(done[1:])
    first.prompt_tokens = sum(c.prompt_tokens for c in done)
    first.output_tokens = sum(c.output_tokens for c in done)
    return first


async def stream(provider: Provider, request: ProviderRequest, samples: int) -> AsyncIterator[Chunk]:
    if samples <= 1 or provider.capabilities.n:
        async for chunk in provider.stream(replace(request, n=max(samples, 1))):
            yield chunk
        return
    queue: asyncio.Queue[Chunk | BaseException | None] = asyncio.Queue()

    async def pump(index: int) -> None:
        try:
            async for chunk in provider.stream(replace(request)):
                chunk.index = index
                await queue.put(chunk)
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put(exc)
        finally:
            await queue.put(None)

    tasks = [asyncio.create_task(pump(i)) for i in range(samples)]
    try:
        running = samples
        while running:
            item = await queue.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
