"""Timeouts end to end: a slow local server (the mock provider sleeps per chunk), the
client's timeout, and a per-call ``timeout_in_seconds`` that overrides it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from humanloop_core import ApiError, APITimeoutError, AsyncHumanloop, Humanloop
from humanloop_core.server import LocalServer
from tests.resources.conftest import MOCK_KERNEL, Api

CHUNK_DELAY = 0.25  # the mock reply below has several chunks: a call takes > 0.5 s
ASK = {"prompt": MOCK_KERNEL, "messages": [{"role": "user", "content": "one two three four"}]}


@pytest.fixture(scope="module")
def slow_server() -> Iterator[LocalServer]:
    with LocalServer(mock_chunk_delay=CHUNK_DELAY) as srv:
        yield srv


@pytest.fixture(params=["sync", "async"])
def slow(request: pytest.FixtureRequest, slow_server: LocalServer) -> Api:
    cls = Humanloop if request.param == "sync" else AsyncHumanloop
    client = cls(api_key=slow_server.api_key, base_url=slow_server.base_url, timeout=0.2,
                 max_retries=0)
    return Api(client)


async def test_client_timeout_raises_api_timeout_error(slow: Api, unique_path: str) -> None:
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await slow.prompts.call(path=unique_path, **ASK)
    assert time.monotonic() - started < 2
    assert isinstance(info.value, ApiError) and info.value.status_code is None
    assert "POST /v5/prompts/call" in str(info.value)


async def test_request_timeout_overrides_the_client(slow: Api, unique_path: str) -> None:
    response = await slow.prompts.call(path=unique_path, **ASK,
                                       request_options={"timeout_in_seconds": 30})
    assert response.logs[0].output


async def test_with_options_timeout(slow: Api, unique_path: str) -> None:
    patient = Api(slow.client.with_options(timeout=30))
    response = await patient.prompts.call(path=unique_path, **ASK)
    assert response.logs[0].output
