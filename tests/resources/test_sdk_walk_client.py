"""The walk of tests/server/test_sdk_walk.py with this project's clients: every operation of
the official SDK 0.8.38 (found by introspection) exists on ``Humanloop`` and
``AsyncHumanloop`` under the SDK's name, takes the SDK's keywords, succeeds against the local
server and parses into this project's models; every request it sends matches the contract."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("humanloop")
from humanloop import Humanloop as OfficialSdk  # noqa: E402

from humanloop_core import AsyncHumanloop, Humanloop  # noqa: E402
from humanloop_core.server import LocalServer  # noqa: E402
from scripts.sdk_overlay import Operation, sdk_operations  # noqa: E402
from tests.server.test_sdk_walk import ARGS, _world  # noqa: E402
from tests.spec import SpecRecorder  # noqa: E402

OPERATIONS = sdk_operations()
_ids = [f"{op.group}.{op.method}" for op in OPERATIONS]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def worlds(server: LocalServer) -> dict[str, dict[str, Any]]:
    sdk = OfficialSdk(api_key=server.api_key, base_url=server.base_url)
    return {"sync": _world(sdk, "core-sync"), "async": _world(sdk, "core-async")}


class Walker:
    """One client of each kind for the whole walk (as an application holds one), the async
    one on one event loop; each test reads only the requests its own operation sent."""

    def __init__(self, server: LocalServer) -> None:
        self.recorder = SpecRecorder()
        self.sync = Humanloop(api_key=server.api_key, base_url=server.base_url,
                              http_client=httpx.Client(event_hooks=self.recorder.hooks(), timeout=60))
        self.loop = asyncio.new_event_loop()
        self._http = httpx.AsyncClient(event_hooks=self.recorder.async_hooks(), timeout=60)
        self.async_ = AsyncHumanloop(api_key=server.api_key, base_url=server.base_url,
                                     http_client=self._http)

    def check_requests(self) -> None:
        try:
            self.recorder.check_all()
        finally:
            self.recorder.requests.clear()

    def close(self) -> None:
        self.sync.close()
        self.loop.run_until_complete(self._http.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def walker(server: LocalServer) -> Iterator[Walker]:
    walker = Walker(server)
    yield walker
    walker.close()


# Built once: each construction sets up a client's pipeline, 121 operations x 2 clients of it
# cost the suite seconds.
_OFFLINE = (Humanloop(api_key="k", base_url="http://127.0.0.1:9"),
            AsyncHumanloop(api_key="k", base_url="http://127.0.0.1:9"))


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_clients_have_the_sdk_operation_and_keywords(op: Operation) -> None:
    sdk_keywords = set(inspect.signature(op.function).parameters) - {"self"}
    for client in _OFFLINE:
        method = getattr(getattr(client, op.group), op.method)
        assert sdk_keywords <= set(inspect.signature(method).parameters)


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_sync_client_walk(op: Operation, walker: Walker, worlds: dict[str, Any]) -> None:
    walker.recorder.requests.clear()
    kwargs = ARGS[f"{op.group}.{op.method}"](None, worlds["sync"])  # type: ignore[arg-type]
    result = getattr(getattr(walker.sync, op.group), op.method)(**kwargs)
    _check(op, result if not op.streaming else list(result))
    assert walker.recorder.requests, "no request was sent"
    walker.check_requests()


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_async_client_walk(op: Operation, walker: Walker, worlds: dict[str, Any]) -> None:
    async def go() -> Any:
        kwargs = ARGS[f"{op.group}.{op.method}"](None, worlds["async"])  # type: ignore[arg-type]
        result = await getattr(getattr(walker.async_, op.group), op.method)(**kwargs)
        if op.streaming or hasattr(result, "__aiter__"):  # streams, and pagers (first items)
            items = []
            async for item in result:
                items.append(item)
                if len(items) == 3 and not op.streaming:
                    break
            result = items
        return result

    walker.recorder.requests.clear()
    result = walker.loop.run_until_complete(go())
    assert walker.recorder.requests, "no request was sent"
    walker.check_requests()
    _check(op, result)


def _check(op: Operation, result: Any) -> None:
    """What came back is a parsed model (or text / pages / items), not raw JSON."""
    if op.response is None or result is None:
        # None only where the SDK's model of the answer admits it (a 204, or Optional[Any])
        assert op.response is None or type(None) in typing.get_args(op.response)
        assert result is None
    elif op.streaming:
        assert result and all(hasattr(item, "model_dump") for item in result)
    elif isinstance(result, (str, list)) or hasattr(result, "model_dump"):
        pass
    else:  # a pager: its first page parsed
        assert all(hasattr(item, "model_dump") for item in list(result)[:3])
