"""One prompt, many callers: two LangChain models, a LlamaIndex LLM and the plain client share
one path, as an app's callers do, with different bound tools and overrides interleaved.

Each call's request must carry exactly its own tools, a call without overrides must run the
same stored version however many kernel-carrying calls came before, and each adapter must
look the prompt up with one request per cache miss.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.tools import tool
from langchain_humanloop import ChatHumanloop
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import Humanloop as LlamaHumanloop

from humanloop_core import AsyncHumanloop, Humanloop, PromptCache, PromptResolver, PromptTarget

STORED_TOOL = {"name": "stored_lookup", "description": "The stored prompt's own tool.",
               "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}
TEMPLATE = [{"role": "system", "content": "You are terse."}]


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


@tool
def magic_function(value: int) -> int:
    """Apply a magic function to an input."""
    return value + 2


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


ADD = FunctionTool.from_defaults(fn=add)


class Wire:
    """Every request the clients send, with its JSON body."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any] | None]] = []

    def record(self, request: httpx.Request) -> None:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))

    async def arecord(self, request: httpx.Request) -> None:
        self.record(request)

    def calls(self) -> list[dict[str, Any]]:
        return [body or {} for method, path, body in self.sent if path.endswith("/prompts/call")]

    def lookups(self) -> list[str]:
        return [path for method, path, _ in self.sent
                if path.endswith("/files/retrieve-by-path") or (method == "GET" and "/prompts" in path)]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def clients(base_url: str, api_key: str, wire: Wire) -> Iterator[tuple[Humanloop, AsyncHumanloop]]:
    sync = httpx.Client(event_hooks={"request": [wire.record]})
    asyn = httpx.AsyncClient(event_hooks={"request": [wire.arecord]})
    yield (Humanloop(api_key=api_key, base_url=base_url, http_client=sync),
           AsyncHumanloop(api_key=api_key, base_url=base_url, http_client=asyn))
    sync.close()


def _tools_sent(body: dict[str, Any]) -> list[str] | None:
    """The tools a call's request carries, or None when it sends no kernel (and so runs the
    stored version exactly, stored tools included)."""
    kernel = body.get("prompt")
    return None if kernel is None else [t["name"] for t in kernel.get("tools") or []]


def _plain_version(result: Any) -> str:
    """The version a response says ran, whichever caller made it."""
    if hasattr(result, "response_metadata"):
        return str(result.response_metadata["version_id"])
    if hasattr(result, "raw"):
        return str(result.raw["prompt"]["version_id"])
    return str(result.prompt.version_id)


HI = [{"role": "user", "content": "hi"}]
Step = tuple[str, Callable[[], Any], list[str] | None]
AStep = tuple[str, Callable[[], Awaitable[Any]], list[str] | None]


def _callers(path: str, client: Humanloop, aclient: AsyncHumanloop) -> dict[str, Any]:
    return {
        "warm": ChatHumanloop(path=path, client=client, async_client=aclient, temperature=0.1),
        "plain": ChatHumanloop(path=path, client=client, async_client=aclient),
        "llama": LlamaHumanloop(path=path, client=client, async_client=aclient, max_tokens=50),
    }


def _sync_steps(path: str, c: dict[str, Any], client: Humanloop) -> list[Step]:
    return [
        ("lc bind_tools weather", lambda: c["warm"].bind_tools([get_weather]).invoke("weather in Paris?"),
         ["get_weather"]),
        ("lc no overrides", lambda: c["plain"].invoke("hi"), None),
        ("llama chat_with_tools add", lambda: c["llama"].chat_with_tools([ADD], user_msg="add 2 and 3"),
         ["add"]),
        ("client plain", lambda: client.prompts.call(path=path, messages=HI), None),
        ("lc bind_tools magic", lambda: c["plain"].bind_tools([magic_function]).invoke("magic 3"),
         ["magic_function"]),
        ("llama override only", lambda: c["llama"].complete("hello"), ["stored_lookup"]),
        ("lc override only", lambda: c["warm"].invoke("hello"), ["stored_lookup"]),
    ]


def _async_steps(path: str, c: dict[str, Any], aclient: AsyncHumanloop) -> list[AStep]:
    return [
        ("lc bind_tools weather", lambda: c["warm"].bind_tools([get_weather]).ainvoke("weather?"),
         ["get_weather"]),
        ("lc no overrides", lambda: c["plain"].ainvoke("hi"), None),
        ("llama chat_with_tools add",
         lambda: c["llama"].achat_with_tools([ADD], user_msg="add 2 and 3"), ["add"]),
        ("client plain", lambda: aclient.prompts.call(path=path, messages=HI), None),
        ("lc bind_tools magic", lambda: c["plain"].bind_tools([magic_function]).ainvoke("magic 3"),
         ["magic_function"]),
        ("llama override only", lambda: c["llama"].acomplete("hello"), ["stored_lookup"]),
    ]


def _stored(client: Humanloop, path: str) -> Any:
    return client.prompts.upsert(path=path, model="mock-1", provider="mock", template=TEMPLATE,
                                 tools=[STORED_TOOL])


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_sync_callers_on_one_path_each_send_exactly_their_own_tools(
        clients: tuple[Humanloop, AsyncHumanloop], unique_path: str, wire: Wire, order: str) -> None:
    client, aclient = clients
    stored = _stored(client, unique_path)
    callers = _callers(unique_path, client, aclient)
    steps = _sync_steps(unique_path, callers, client)
    for name, run, expected in (steps if order == "forward" else steps[::-1]):
        before = len(wire.calls())
        result = run()
        (body,) = wire.calls()[before:]
        assert _tools_sent(body) == expected, name
        if expected is None:
            assert _plain_version(result) == stored.version_id, name
    # One lookup per adapter that had to build a kernel, then the cache: not one per call.
    assert len(wire.lookups()) == 3 and all(p.endswith("retrieve-by-path") for p in wire.lookups())


@pytest.mark.parametrize("order", ["forward", "reverse"])
async def test_async_callers_on_one_path_each_send_exactly_their_own_tools(
        clients: tuple[Humanloop, AsyncHumanloop], unique_path: str, wire: Wire, order: str) -> None:
    client, aclient = clients
    stored = _stored(client, unique_path)
    callers = _callers(unique_path, client, aclient)
    steps = _async_steps(unique_path, callers, aclient)
    for name, run, expected in (steps if order == "forward" else steps[::-1]):
        before = len(wire.calls())
        result = await run()
        (body,) = wire.calls()[before:]
        assert _tools_sent(body) == expected, name
        if expected is None:
            assert _plain_version(result) == stored.version_id, name
    assert len(wire.lookups()) == 3


def test_plain_calls_run_one_version_before_and_after_100_kernel_calls(
        clients: tuple[Humanloop, AsyncHumanloop], unique_path: str) -> None:
    client, aclient = clients
    stored = _stored(client, unique_path)
    callers = _callers(unique_path, client, aclient)

    def plain_versions() -> set[str]:
        return {_plain_version(callers["plain"].invoke("hi")),
                _plain_version(client.prompts.call(path=unique_path, messages=HI)),
                _plain_version(LlamaHumanloop(path=unique_path, client=client).chat_with_tools(
                    [], user_msg="hi"))}

    assert plain_versions() == {stored.version_id}
    for n in range(50):
        callers["warm"].bind_tools([get_weather] if n % 2 else [magic_function]).invoke("hi")
        callers["llama"].chat_with_tools([ADD], user_msg=f"hi {n}", temperature=n / 50)
    assert plain_versions() == {stored.version_id}
    listed = client.prompts.list_versions(stored.id).records
    assert len(listed) > 3  # the kernel calls were filed as versions, none became the default
    answer = callers["plain"].invoke("what is the weather in Paris")
    assert not answer.tool_calls  # no tool a caller bound leaks into a plain call


def test_resolver_makes_one_request_per_cache_miss(
        clients: tuple[Humanloop, AsyncHumanloop], unique_path: str, wire: Wire) -> None:
    client, _ = clients
    stored = _stored(client, unique_path)
    now = [0.0]
    resolver = PromptResolver(client, cache=PromptCache(60, clock=lambda: now[0]))
    target = PromptTarget(path=unique_path)
    for _ in range(5):
        assert resolver.resolve(target).version_id == stored.version_id  # type: ignore[union-attr]
    assert len(wire.lookups()) == 1
    now[0] = 61.0
    client.prompts.set_deployment(stored.id, "staging", version_id=stored.version_id)
    resolver.resolve(target)
    resolver.resolve(PromptTarget(id=stored.id, environment="staging"))
    assert len(wire.lookups()) == 3  # an expired entry and a new target: one request each
    assert resolver.resolve(PromptTarget(path=unique_path + "-missing")) is None
    assert resolver.resolve(PromptTarget(path=unique_path + "-missing")) is None
    assert len(wire.lookups()) == 4  # "no such prompt" is cached too


async def test_concurrent_misses_share_one_lookup(
        clients: tuple[Humanloop, AsyncHumanloop], unique_path: str, wire: Wire) -> None:
    import asyncio

    client, aclient = clients
    _stored(client, unique_path)
    chat = ChatHumanloop(path=unique_path, client=client, async_client=aclient)
    bound = chat.bind_tools([get_weather])
    answers = await asyncio.gather(*(bound.ainvoke(f"weather {n}") for n in range(10)))
    assert len(answers) == 10 and len(wire.lookups()) == 1  # tasks of one loop
    other = ChatHumanloop(path=unique_path, client=client, async_client=aclient, temperature=0.5)
    assert len(other.batch([f"hi {n}" for n in range(8)], config={"max_concurrency": 8})) == 8
    assert len(wire.lookups()) == 2  # threads of a batch: one more lookup, for the new instance
