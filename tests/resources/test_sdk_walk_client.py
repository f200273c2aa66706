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


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_clients_have_the_sdk_operation_and_keywords(op: Operation) -> None:
    sdk_keywords = set(inspect.signature(op.function).parameters) - {"self"}
    for client in (Humanloop(api_key="k", base_url="http://127.0.0.1:9"),
                   AsyncHumanloop(api_key="k", base_url="http://127.0.0.1:9")):
        method = getattr(getattr(client, op.group), op.method)
        assert sdk_keywords <= set(inspect.signature(method).parameters)


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_sync_client_walk(op: Operation, server: LocalServer, worlds: dict[str, Any]) -> None:
    recorder = SpecRecorder()
    client = Humanloop(api_key=server.api_key, base_url=server.base_url,
                       http_client=httpx.Client(event_hooks=recorder.hooks(), timeout=60))
    kwargs = ARGS[f"{op.group}.{op.method}"](None, worlds["sync"])  # type: ignore[arg-type]
    result = getattr(getattr(client, op.group), op.method)(**kwargs)
    _check(op, result if not op.streaming else list(result))
    recorder.check_all()


@pytest.mark.parametrize("op", OPERATIONS, ids=_ids)
def test_async_client_walk(op: Operation, server: LocalServer, worlds: dict[str, Any]) -> None:
    async def go() -> Any:
        recorder = SpecRecorder()
        http = httpx.AsyncClient(event_hooks=recorder.async_hooks(), timeout=60)
        client = AsyncHumanloop(api_key=server.api_key, base_url=server.base_url, http_client=http)
        kwargs = ARGS[f"{op.group}.{op.method}"](None, worlds["async"])  # type: ignore[arg-type]
        result = await getattr(getattr(client, op.group), op.method)(**kwargs)
        if op.streaming or hasattr(result, "__aiter__"):  # streams, and pagers (first items)
            items = []
            async for item in result:
                items.append(item)
                if len(items) == 3 and not op.streaming:
                    break
            result = items
        await http.aclose()
        recorder.check_all()
        return result

    _check(op, asyncio.run(go()))


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
