"""Fixtures of the reliability suite: the fault server, and one driver per client flavour.

Every fault test runs on both ``Humanloop`` and ``AsyncHumanloop`` through the
parametrised ``driver`` fixture. The driver gives both the same awaitable surface; the
sync client runs in a worker thread, so its real ``time.sleep`` backoff is measured
exactly like the async client's ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from humanloop_core import AsyncHumanloop, Humanloop
from tests.reliability.fault_server import FaultServer

API_KEY = "hl-secret-fault-key-7c1f0e"
KERNEL = {"model": "mock-1", "provider": "mock"}
MESSAGES = [{"role": "user", "content": "hello"}]


@dataclass
class Collected:
    """What a stream yielded before it ended, and the error that ended it (if any)."""

    items: list[Any]
    error: BaseException | None


class Driver:
    """The same awaitable calls over either client flavour."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self._clients: list[Any] = []

    def client(self, base_url: str, **kwargs: Any) -> Any:
        cls = AsyncHumanloop if self.flavour == "async" else Humanloop
        client = cls(api_key=kwargs.pop("api_key", API_KEY), base_url=base_url, **kwargs)
        self._clients.append(client)
        return client

    async def run(self, client: Any, method: Callable[[Any], Any]) -> Any:
        """``method(client)`` returns the call's result (sync) or awaitable (async)."""
        if self.flavour == "async":
            return await method(client)
        return await asyncio.to_thread(method, client)

    async def call(self, client: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("prompt", KERNEL)
        kwargs.setdefault("messages", MESSAGES)
        kwargs.setdefault("path", "fault/prompt")
        return await self.run(client, lambda c: c.prompts.call(**kwargs))

    async def stream(self, client: Any, **kwargs: Any) -> Collected:
        """Consume ``prompts.call(stream=True)`` fully, keeping the items seen before a failure."""
        kwargs.setdefault("prompt", KERNEL)
        kwargs.setdefault("messages", MESSAGES)
        kwargs.setdefault("path", "fault/prompt")
        items: list[Any] = []
        if self.flavour == "async":
            try:
                async for item in await client.prompts.call(stream=True, **kwargs):
                    items.append(item)
            except Exception as exc:
                return Collected(items, exc)
            return Collected(items, None)

        def consume() -> Collected:
            try:
                for item in client.prompts.call(stream=True, **kwargs):
                    items.append(item)
            except Exception as exc:
                return Collected(items, exc)
            return Collected(items, None)

        return await asyncio.to_thread(consume)

    async def close(self) -> None:
        for client in self._clients:
            if self.flavour == "async":
                await client.aclose()
            else:
                client.close()


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture(params=["sync", "async"])
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    drv = Driver(request.param)
    yield drv
    await drv.close()
