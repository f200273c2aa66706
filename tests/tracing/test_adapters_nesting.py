"""Calls made through the LangChain and LlamaIndex adapters nest under the caller's span.

The adapters know only the public client; what makes nesting work is that the client's
span is started in the caller's context and never left attached. Checked for each adapter's
sync, async, streamed and async-streamed paths against the local server.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from humanloop_core import AsyncHumanloop, Humanloop
from tests.tracing.conftest import Otel

KERNEL = {"model": "mock-1", "provider": "mock"}


def _clients(server: Any, otel: Otel) -> dict[str, Any]:
    options = {
        "api_key": server.api_key, "base_url": server.base_url,
        "tracer_provider": otel.tracer_provider, "meter_provider": otel.meter_provider,
    }
    return {"client": Humanloop(**options), "async_client": AsyncHumanloop(**options)}


def _assert_nested(otel: Otel, parent_name: str, expected_calls: int) -> None:
    spans = otel.spans()
    parent = next(s for s in spans if s.name == parent_name)
    chats: list[ReadableSpan] = [
        s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "chat"
    ]
    assert len(chats) == expected_calls, [s.name for s in spans]
    for span in spans:
        if span is parent:
            continue
        # Every client span (chat calls and any prompt lookups) is a child of the caller's.
        assert span.parent is not None, span.name
        assert span.parent.span_id == parent.context.span_id, span.name
        assert span.context.trace_id == parent.context.trace_id


async def test_langchain_calls_nest_under_the_callers_span(local_server: Any, otel: Otel) -> None:
    from langchain_core.messages import HumanMessage
    from langchain_humanloop import ChatHumanloop

    llm = ChatHumanloop(path="tracing/langchain", model="mock-1", provider="mock",
                        **_clients(local_server, otel))
    messages = [HumanMessage("hello there")]
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("chain"):
        assert llm.invoke(messages).content
        assert "".join(str(c.content) for c in llm.stream(messages))
        assert (await llm.ainvoke(messages)).content
        assert "".join([str(c.content) async for c in llm.astream(messages)])
    _assert_nested(otel, "chain", expected_calls=4)


async def test_llama_index_calls_nest_under_the_callers_span(local_server: Any, otel: Otel) -> None:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.humanloop import Humanloop as HumanloopLLM

    llm = HumanloopLLM(path="tracing/llama-index", model="mock-1", provider="mock",
                       **_clients(local_server, otel))
    messages = [ChatMessage(role="user", content="hello there")]
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("query"):
        assert llm.chat(messages).message.content
        assert [r.delta for r in llm.stream_chat(messages)]
        assert (await llm.achat(messages)).message.content
        assert [r.delta async for r in await llm.astream_chat(messages)]
    _assert_nested(otel, "query", expected_calls=4)

