"""Fixtures for the client's end-to-end tests: one parametrised fixture runs every test with
the sync and the async client against the real local server, and every request a test sends
is checked against the v5 spec when the test ends."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from humanloop_core import AsyncHumanloop, Humanloop
from tests.spec import SpecRecorder

MOCK_KERNEL = {"model": "mock-1", "provider": "mock"}


class Api:
    """Both clients behind one face: every method call is awaited (a sync result is
    returned as is), so a test body is written once for both."""

    def __init__(self, client: Humanloop | AsyncHumanloop) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncHumanloop)

    def __getattr__(self, name: str) -> _Resource:
        return _Resource(getattr(self.client, name))

    async def items(self, pager: Any) -> list[Any]:
        """Every item of every page."""
        if self.is_async:
            return [item async for item in pager]
        return list(pager)

    async def pages(self, pager: Any) -> list[Any]:
        if self.is_async:
            return [page async for page in pager.iter_pages()]
        return list(pager.iter_pages())

    async def chunks(self, stream: Any) -> list[Any]:
        if self.is_async:
            async with stream:
                return [chunk async for chunk in stream]
        with stream:
            return list(stream)


class _Resource:
    def __init__(self, resource: Any) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._resource, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return call


@pytest.fixture
def recorder() -> SpecRecorder:
    return SpecRecorder()


@pytest.fixture(params=["sync", "async"])
async def hl(request: pytest.FixtureRequest, base_url: str, api_key: str,
             recorder: SpecRecorder) -> AsyncIterator[Api]:
    """The client under test; on teardown, every request it sent must match the spec."""
    client: Humanloop | AsyncHumanloop
    if request.param == "sync":
        http = httpx.Client(event_hooks=recorder.hooks())
        client = Humanloop(api_key=api_key, base_url=base_url, http_client=http)
        yield Api(client)
        http.close()
    else:
        ahttp = httpx.AsyncClient(event_hooks=recorder.async_hooks())
        client = AsyncHumanloop(api_key=api_key, base_url=base_url, http_client=ahttp)
        yield Api(client)
        await ahttp.aclose()
    assert recorder.requests, "the recorder saw no request: are the event hooks installed?"
    recorder.check_all()


@pytest.fixture
async def prompt(hl: Api, unique_path: str) -> Any:
    """A mock-provider prompt with a system template taking ``{{name}}``."""
    return await hl.prompts.upsert(
        path=unique_path,
        template=[{"role": "system", "content": "You help {{name}}."}],
        **MOCK_KERNEL,
    )
