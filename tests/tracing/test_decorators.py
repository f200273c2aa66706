"""@flow / @prompt / @tool end to end: decorated code -> OTel spans -> the exporter ->
the session server's OTLP import -> logs with the expected trace tree."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import pytest

from humanloop_core import Humanloop
from humanloop_core.decorators import flow, prompt, tool
from humanloop_core.exporter import HumanloopSpanProcessor, TracingPipeline, pipeline
from humanloop_core.server import LocalServer
from tests.tracing.fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, fake_openai


@pytest.fixture
def hl(local_server: LocalServer) -> Iterator[Humanloop]:
    # The OpenAI and Anthropic instrumentors are process-wide: an official SDK client built by an earlier
    # test instruments it for its own provider, and the pipeline leaves a foreign
    # instrumentation alone, so start from an uninstrumented SDK.
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    client = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)
    yield client
    # Undo the openai instrumentation the pipeline installed; the next test gets a fresh one.
    pipeline(local_server.api_key, local_server.base_url).shutdown()


def flushed(server: LocalServer) -> TracingPipeline:
    p = pipeline(server.api_key, server.base_url)
    assert p.processor.force_flush(20_000), "spans not delivered"
    return p


def logs_at(server: LocalServer, path: str) -> list[dict[str, Any]]:
    file = server.store.get_file_by_path(path)
    assert file is not None, f"nothing stored at {path}"
    rows, _ = server.store.list_logs({"file_id": file["id"]}, 1, 100)
    return rows


def children(server: LocalServer, log_id: str) -> list[dict[str, Any]]:
    return server.store.child_logs("trace_parent_id", log_id)


def path_of(server: LocalServer, log: dict[str, Any]) -> str:
    return server.store.get_file(log["file_id"])["path"]  # type: ignore[index]


def test_nested_sync_calls_and_a_thread_make_one_tree(hl: Humanloop, local_server: LocalServer,
                                                       unique_path: str) -> None:
    @hl.tool(path=f"{unique_path}/add")
    def add(a: int, b: int = 1) -> int:
        """Add two integers."""
        return a + b

    @hl.prompt(path=f"{unique_path}/llm", model="local-model")
    def llm(messages: list[dict[str, str]]) -> str:
        return "the answer is " + messages[-1]["content"]

    @hl.flow(path=f"{unique_path}/agent", attributes={"team": "search"})
    def agent(question: str) -> str:
        total = add(1, 2)
        worker = threading.Thread(target=contextvars.copy_context().run, args=(add, 40))
        worker.start()
        worker.join()
        return llm([{"role": "user", "content": f"{question} {total}"}])

    assert agent("sum?") == "the answer is sum? 3"
    flushed(local_server)
    [root] = logs_at(local_server, f"{unique_path}/agent")
    assert root["trace_parent_id"] is None
    assert root["body"]["inputs"] == {"question": "sum?"} and root["body"]["output"] == "the answer is sum? 3"
    kids = children(local_server, root["id"])
    assert sorted(path_of(local_server, k) for k in kids) == sorted(
        [f"{unique_path}/add", f"{unique_path}/add", f"{unique_path}/llm"])
    adds = sorted((k["body"]["inputs"]["a"], k["body"]["output"]) for k in kids if k["type"] == "tool")
    assert adds == [(1, "3"), (40, "41")]
    [llm_log] = [k for k in kids if k["type"] == "prompt"]
    assert llm_log["body"]["messages"] == [{"role": "user", "content": "sum? 3"}]
    assert llm_log["body"]["output_message"]["content"] == "the answer is sum? 3"
    assert local_server.store.get_version(llm_log["version_id"])["kernel"]["model"] == "local-model"  # type: ignore[index]
    flow_kernel = local_server.store.get_version(root["version_id"])["kernel"]  # type: ignore[index]
    assert flow_kernel["attributes"] == {"team": "search"}


async def test_async_tasks_generators_and_errors(hl: Humanloop, local_server: LocalServer,
                                                 unique_path: str) -> None:
    @hl.tool(path=f"{unique_path}/lookup")
    async def lookup(key: str) -> str:
        await asyncio.sleep(0)
        if key == "bad":
            raise KeyError(key)
        return key.upper()

    @hl.tool(path=f"{unique_path}/words")
    def words(text: str) -> Iterator[str]:
        yield from (w + " " for w in text.split())

    @hl.tool(path=f"{unique_path}/stream")
    async def stream(n: int) -> AsyncIterator[int]:
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    @hl.flow(path=f"{unique_path}/pipeline")
    async def run() -> str:
        found = await asyncio.gather(lookup("a"), lookup("b"), return_exceptions=False)
        spoken = "".join(words("x y"))
        counted = [i async for i in stream(3)]
        with contextlib.suppress(KeyError):
            await lookup("bad")
        return f"{found} {spoken} {counted}"

    assert await run() == "['A', 'B'] x y  [0, 1, 2]"
    flushed(local_server)
    [root] = logs_at(local_server, f"{unique_path}/pipeline")
    kids = children(local_server, root["id"])
    by_path: dict[str, list[dict[str, Any]]] = {}
    for kid in kids:
        by_path.setdefault(path_of(local_server, kid), []).append(kid["body"])
    lookups = sorted(by_path[f"{unique_path}/lookup"], key=lambda b: b["inputs"]["key"])
    assert [(b["inputs"]["key"], b.get("output"), b.get("error")) for b in lookups] == [
        ("a", "A", None), ("b", "B", None), ("bad", None, "KeyError: 'bad'")]
    assert [b["output"] for b in by_path[f"{unique_path}/words"]] == ["x y "]
    assert [b["output"] for b in by_path[f"{unique_path}/stream"]] == ["[0,1,2]"]


def test_prompt_records_the_instrumented_openai_call(hl: Humanloop, local_server: LocalServer,
                                                     unique_path: str) -> None:
    import openai

    with fake_openai() as (url, _):
        oai = openai.OpenAI(base_url=url, api_key="sk-decorator-secret")

        @hl.prompt(path=f"{unique_path}/answer")
        def answer(question: str) -> str | None:
            r = oai.chat.completions.create(model="gpt-4o-mini", temperature=0.2,
                                            messages=[{"role": "user", "content": question}])
            return r.choices[0].message.content

        @hl.flow(path=f"{unique_path}/qa")
        def qa(question: str) -> str | None:
            return answer(question)

        assert qa("why?") == "Fake answer to: why?"
        # An openai call outside any decorator is not logged (as with the official SDK).
        oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "stray"}])
    flushed(local_server)
    [root] = logs_at(local_server, f"{unique_path}/qa")
    [call] = children(local_server, root["id"])
    assert path_of(local_server, call) == f"{unique_path}/answer" and call["type"] == "prompt"
    body = call["body"]
    assert body["messages"] == [{"role": "user", "content": "why?"}]
    assert body["inputs"] == {"question": "why?"} and body["output"] == "Fake answer to: why?"
    assert (body["prompt_tokens"], body["output_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    kernel = local_server.store.get_version(call["version_id"])["kernel"]  # type: ignore[index]
    assert (kernel["model"], kernel["provider"], kernel["temperature"]) == ("gpt-4o-mini", "openai", 0.2)
    assert "sk-decorator-secret" not in str(body)


def test_tool_schema_from_signature_and_docstring() -> None:
    @tool(path="x/search")
    def search(query: str, limit: int = 5, mode: Literal["fast", "deep"] = "fast",
               tags: list[str] | None = None, *, exact: bool = False) -> list[str]:
        """Search the docs."""
        return []

    assert search.json_schema == {  # type: ignore[attr-defined]
        "name": "search", "description": "Search the docs.",
        "parameters": {"type": "object", "required": ["query"], "properties": {
            "query": {"type": "string"}, "limit": {"type": "integer"},
            "mode": {"enum": ["fast", "deep"]}, "tags": {"type": "array", "items": {"type": "string"}},
            "exact": {"type": "boolean"}}}}


def test_bare_decorators_without_an_sdk_cost_nothing_and_return_results() -> None:
    """No SDK configured: the global tracer is a no-op; calls still behave exactly."""
    @flow
    def f(x: int) -> int:
        return x * 2

    @prompt
    async def p() -> str:
        return "ok"

    assert f(21) == 42 and asyncio.run(p()) == "ok"
    assert f.__name__ == "f" and inspect.iscoroutinefunction(p)


def test_client_decorators_take_the_official_sdks_arguments() -> None:
    """Migrating from the official SDK is an import change: same names, same keywords."""
    from humanloop.client import Humanloop as Official

    for name in ("flow", "prompt", "tool"):
        theirs = set(inspect.signature(getattr(Official, name)).parameters) - {"self"}
        ours = set(inspect.signature(getattr(Humanloop, name)).parameters) - {"self"}
        assert theirs <= ours, (name, theirs - ours)


def test_prompts_call_spans_of_this_client_join_the_decorated_trace(local_server: LocalServer,
                                                                    unique_path: str) -> None:
    """A prompts.call inside @flow is logged by the server itself; its client span, exported
    on the same provider, hangs that log under the flow's log instead of duplicating it."""
    p = pipeline(local_server.api_key, local_server.base_url)
    client = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url,
                       tracer_provider=p.provider)
    try:
        @flow(path=f"{unique_path}/flow", tracer=p.tracer)
        def ask(question: str) -> str | None:
            response = client.prompts.call(path=f"{unique_path}/assistant", prompt={"model": "mock-1", "provider": "mock"},
                                           messages=[{"role": "user", "content": question}])
            return response.logs[0].output

        assert ask("hello")
        flushed(local_server)
        [root] = logs_at(local_server, f"{unique_path}/flow")
        [call] = logs_at(local_server, f"{unique_path}/assistant")  # one log, not two
        assert call["trace_parent_id"] == root["id"]
    finally:
        p.shutdown()


def test_prompt_records_the_instrumented_anthropic_call(local_server: LocalServer, unique_path: str) -> None:
    """Anthropic, through opentelemetry-instrumentation-anthropic, against the providers'
    loopback Anthropic fake (checked with the anthropic SDK in tests/server)."""
    anthropic = pytest.importorskip("anthropic")
    from tests.server.fakes._server import Reply
    from tests.server.fakes.anthropic import AnthropicFake

    hl = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)
    try:
        with AnthropicFake() as fake:
            fake.script = [Reply(text="Bonjour!")]
            claude = anthropic.Anthropic(api_key=fake.key, base_url=fake.url, max_retries=0)

            @hl.prompt(path=f"{unique_path}/greet")
            def greet(name: str) -> str:
                message = claude.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                                                 messages=[{"role": "user", "content": f"Greet {name}"}])
                return message.content[0].text

            assert greet("Ada") == "Bonjour!"
        flushed(local_server)
        [log] = logs_at(local_server, f"{unique_path}/greet")
        body = log["body"]
        assert body["messages"] == [{"role": "user", "content": "Greet Ada"}]
        assert body["output"] == "Bonjour!" and body["inputs"] == {"name": "Ada"}
        assert (body["prompt_tokens"], body["output_tokens"]) == (11, 7)
        kernel = local_server.store.get_version(log["version_id"])["kernel"]  # type: ignore[index]
        assert (kernel["model"], kernel["provider"]) == ("claude-sonnet-4-5", "anthropic")
    finally:
        pipeline(local_server.api_key, local_server.base_url).shutdown()


def test_prompt_logs_from_its_arguments_when_another_tracer_owns_the_openai_instrumentation(
        local_server: LocalServer, unique_path: str) -> None:
    """Someone else (the app's own OTel setup, an official SDK client) instrumented OpenAI
    for their tracer provider first: our pipeline leaves that alone, no model-call span
    reaches it, and each @prompt still logs, from its arguments and return value."""
    import openai
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    instrumentor = OpenAIInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    foreign, seen = TracerProvider(), InMemorySpanExporter()
    foreign.add_span_processor(SimpleSpanProcessor(seen))
    # ... and exports to another Humanloop server, which must not claim our @prompt calls.
    elsewhere = HumanloopSpanProcessor("other-key", "http://127.0.0.1:9/v5", max_backoff=0.1)
    foreign.add_span_processor(elsewhere)
    instrumentor.instrument(tracer_provider=foreign)
    hl = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)
    try:
        with fake_openai() as (url, _):
            oai = openai.OpenAI(base_url=url, api_key="sk-foreign-secret")

            @hl.prompt(path=f"{unique_path}/text")
            def text(question: str) -> str | None:  # the model is nowhere but in the call
                r = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
                return r.choices[0].message.content

            @hl.prompt(path=f"{unique_path}/completion")
            def completion(messages: list[dict[str, str]]) -> Any:
                return oai.chat.completions.create(model="gpt-4o-mini", messages=messages)

            @hl.flow(path=f"{unique_path}/qa")
            def qa(question: str) -> str:
                first = text(question)
                second = completion([{"role": "user", "content": "again"}]).choices[0].message.content
                return f"{first} / {second}"

            assert qa("why?") == "Fake answer to: why? / Fake answer to: again"
        assert [s.name for s in seen.get_finished_spans()] == ["openai.chat", "openai.chat"]  # theirs
        flushed(local_server)
        [root] = logs_at(local_server, f"{unique_path}/qa")
        kids = {path_of(local_server, k): k for k in children(local_server, root["id"])}
        assert set(kids) == {f"{unique_path}/text", f"{unique_path}/completion"}
        plain = kids[f"{unique_path}/text"]
        assert plain["type"] == "prompt"
        assert plain["body"]["inputs"] == {"question": "why?"} and plain["body"]["output"] == "Fake answer to: why?"
        assert local_server.store.get_version(plain["version_id"])["kernel"]["model"] == "unknown"  # type: ignore[index]
        full = kids[f"{unique_path}/completion"]["body"]
        assert full["messages"] == [{"role": "user", "content": "again"}]
        assert full["output"] == "Fake answer to: again"  # the message, not the response's JSON
        assert full["output_message"] == {"role": "assistant", "content": "Fake answer to: again"}
        assert (full["prompt_tokens"], full["output_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS)
        version = local_server.store.get_version(kids[f"{unique_path}/completion"]["version_id"])
        assert version["kernel"]["model"] == "gpt-4o-mini"  # type: ignore[index]
        assert "sk-foreign-secret" not in str(kids)
    finally:
        instrumentor.uninstrument()
        elsewhere.shutdown(timeout=0.1)
        foreign.shutdown()
        pipeline(local_server.api_key, local_server.base_url).shutdown()
