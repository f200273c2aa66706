"""The LLM's own methods against the local server's mock provider (see its module docstring:
a text reply is ``"You said: <last user text>"``, streamed one word per chunk, the last
chunk carrying finish reason and token counts)."""

from __future__ import annotations

import asyncio
import inspect
import json
import time

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
)
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import Humanloop, PromptCallError

import humanloop_core
from humanloop_core.server import LocalServer
from tests.integrations.llama_index.conftest import Recorder, fresh_path

USER = [ChatMessage(role=MessageRole.USER, content="Hello there friend")]
REPLY = "You said: Hello there friend"
USAGE_KEYS = {"prompt_tokens", "completion_tokens", "total_tokens"}


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_chat_returns_reply_usage_and_log(llm: Humanloop) -> None:
    response = llm.chat(USER)
    assert response.message.role == MessageRole.ASSISTANT
    assert response.message.content == REPLY
    assert response.additional_kwargs == {
        "prompt_tokens": 3,
        "completion_tokens": 5,
        "total_tokens": 8,
    }
    assert response.raw["usage"] == response.additional_kwargs
    assert response.raw["id"]  # the Humanloop log id
    assert response.raw["prompt"]["path"] == llm.path


async def test_achat_matches_chat(llm: Humanloop) -> None:
    response = await llm.achat(USER)
    assert response.message.content == REPLY
    assert response.additional_kwargs["total_tokens"] == 8


def test_stream_chat_is_cumulative_and_ends_with_usage(llm: Humanloop) -> None:
    stream = llm.stream_chat(USER)
    assert inspect.isgenerator(stream)
    responses = list(stream)
    assert len(responses) == 6  # one word per chunk, then the closing response (usage)
    assert responses[-1].delta == "" and not any(r.additional_kwargs for r in responses[:-1])
    assert "".join(r.delta or "" for r in responses) == REPLY
    assert [r.message.content for r in responses][-1] == REPLY
    assert all(r.message.content.startswith("You") for r in responses)
    assert set(responses[-1].additional_kwargs) == USAGE_KEYS
    assert responses[-1].raw["usage"]["total_tokens"] == 8
    assert responses[-1].raw["output_message"]["content"] == REPLY
    assert not responses[0].additional_kwargs


async def test_astream_chat_is_cumulative_and_ends_with_usage(llm: Humanloop) -> None:
    stream = await llm.astream_chat(USER)
    assert inspect.isasyncgen(stream)
    responses = [r async for r in stream]
    assert "".join(r.delta or "" for r in responses) == REPLY
    assert responses[-1].message.content == REPLY
    assert responses[-1].additional_kwargs["completion_tokens"] == 5


def test_completion_family_is_derived_from_chat(llm: Humanloop) -> None:
    assert llm.complete("Hi you").text == "You said: Hi you"
    chunks = list(llm.stream_complete("Hi you"))
    assert chunks[-1].text == "You said: Hi you"
    assert "".join(c.delta or "" for c in chunks) == "You said: Hi you"


async def test_async_completion_family(llm: Humanloop) -> None:
    assert (await llm.acomplete("Hi you")).text == "You said: Hi you"
    chunks = [c async for c in await llm.astream_complete("Hi you")]
    assert chunks[-1].text == "You said: Hi you"


def test_per_call_override_is_honoured(llm: Humanloop) -> None:
    assert llm.chat(USER, max_tokens=2).message.content == "You said:"
    assert llm.chat(USER, stop=["there"]).message.content.strip() == "You said: Hello"


def test_tool_call_and_tool_result_round_trip(llm: Humanloop) -> None:
    tool = FunctionTool.from_defaults(fn=add)
    history = [ChatMessage(role=MessageRole.USER, content="Please add 2 and 3")]
    response = llm.chat_with_tools([tool], chat_history=history)
    assert len(history) == 1  # not extended by the call
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 2, "b": 3})
    result = ChatMessage(
        role=MessageRole.TOOL, content="5", additional_kwargs={"tool_call_id": selection.tool_id}
    )
    final = llm.chat_with_tools([tool], chat_history=[*history, response.message, result])
    assert final.message.content == "The tool returned: add -> 5"
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []


async def test_streamed_tool_call_has_partial_then_whole_arguments(llm: Humanloop) -> None:
    tool = FunctionTool.from_defaults(fn=add)
    stream = await llm.astream_chat_with_tools([tool], user_msg="add 2 and 3", tool_required=True)
    responses = [r async for r in stream]
    partial = [llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses]
    assert all(s[0].tool_name == "add" for s in partial if s)  # partial JSON never raises
    (last,) = [b for b in responses[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert last.tool_kwargs == {"a": 2, "b": 3}
    assert responses[-1].raw["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stored_prompt_keeps_its_template_and_the_bound_tools_are_what_the_model_sees(
    client: humanloop_core.Humanloop, base_url: str, api_key: str, mode: str
) -> None:
    path = fresh_path("stored")
    template = [{"role": "system", "content": "You are {{persona}}."}]
    stored_tool = {"name": "lookup", "description": "Look a word up.", "parameters": {}}
    client.prompts.upsert(
        path=path, model="mock-1", provider="mock", template=template, tools=[stored_tool]
    )
    llm = Humanloop(
        path=path,
        inputs={"persona": "a pirate"},
        temperature=0.5,
        base_url=base_url,
        api_key=api_key,
    )
    tools = [FunctionTool.from_defaults(fn=add)]
    if mode == "sync":
        response = llm.chat_with_tools(tools, user_msg="hi")
    else:
        response = await llm.achat_with_tools(tools, user_msg="hi")
    version = response.raw["prompt"]
    assert version["template"] == template
    assert version["model"] == "mock-1"
    assert version["temperature"] == 0.5
    assert [t["name"] for t in version["tools"]] == ["add"]  # chat_with_tools' tools replace stored ones
    # The stored prompt is found by path, and the template was rendered with the inputs.
    assert response.raw["messages"][0]["content"] == "You are a pirate."


def test_stored_prompt_without_changes_is_called_by_id_alone(
    client: humanloop_core.Humanloop, base_url: str, api_key: str
) -> None:
    stored = client.prompts.upsert(path=fresh_path("plain"), model="mock-1", provider="mock")
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    hl = humanloop_core.Humanloop(api_key=api_key, base_url=base_url, http_client=http)
    llm = Humanloop(id=stored.id, version_id=stored.version_id, client=hl)
    response = llm.chat(USER)
    assert response.message.content == REPLY
    assert response.raw["prompt"]["version_id"] == stored.version_id
    # One request, no lookup, and no kernel: the stored version is used as it is.
    (request,) = sent
    body = json.loads(request.content)
    assert body["id"] == stored.id
    assert request.url.params["version_id"] == stored.version_id  # a query parameter
    assert "prompt" not in body


def test_instrumentation_sees_start_and_end_with_usage(llm: Humanloop, recorder: Recorder) -> None:
    llm.chat(USER)
    (start,) = recorder.of(LLMChatStartEvent)
    (end,) = recorder.of(LLMChatEndEvent)
    assert start.span_id == end.span_id
    assert end.response.additional_kwargs["total_tokens"] == 8
    assert end.response.raw["usage"]["prompt_tokens"] == 3


def test_stream_span_ends_when_stream_ends_not_when_created(
    llm: Humanloop, recorder: Recorder
) -> None:
    stream = llm.stream_chat(USER)
    assert recorder.of(LLMChatStartEvent) and not recorder.of(LLMChatEndEvent)
    responses = list(stream)
    assert len(recorder.of(LLMChatInProgressEvent)) == len(responses)
    (end,) = recorder.of(LLMChatEndEvent)
    assert end.response.additional_kwargs["completion_tokens"] == 5


def test_key_never_in_events_or_errors(base_url: str, recorder: Recorder) -> None:
    secret = "hl-wrong-key-5f1d2c"
    llm = Humanloop(
        path=fresh_path(), model="mock-1", provider="mock", base_url=base_url, api_key=secret
    )
    with pytest.raises(humanloop_core.AuthenticationError) as caught:
        llm.chat(USER)
    assert caught.value.status_code == 401
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert all(secret not in str(event.model_dump()) for event in recorder.events)


async def test_two_achat_calls_overlap() -> None:
    # ~0.1 s per chunk and five chunks per reply: 0.5 s a call if nothing overlaps.
    with LocalServer(db=":memory:", mock_chunk_delay=0.1) as server:
        llm = Humanloop(
            path=fresh_path(),
            model="mock-1",
            provider="mock",
            base_url=server.base_url,
            api_key=server.api_key,
        )
        await llm.achat(USER)  # warm: connection, prompt creation
        started = time.perf_counter()
        await llm.achat(USER)
        single = time.perf_counter() - started
        started = time.perf_counter()
        first, second = await asyncio.gather(llm.achat(USER), llm.achat(USER))
        both = time.perf_counter() - started
    assert first.message.content == second.message.content == REPLY
    assert single >= 0.45
    assert both / single < 1.5, f"two concurrent calls took {both:.2f}s, one took {single:.2f}s"


def test_token_counting_handler_reads_the_servers_usage(llm: Humanloop) -> None:
    # A tokenizer would count the reply as 6 tokens; the server's usage (5) must win.
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    llm.chat(USER)
    list(llm.stream_chat(USER))
    assert [e.completion_token_count for e in counter.llm_token_counts] == [5, 5]
    assert [e.prompt_token_count for e in counter.llm_token_counts] == [3, 3]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_failure_mid_stream_raises_after_the_chunks_received(
    llm: Humanloop, recorder: Recorder, mode: str
) -> None:
    failing = {"mock_error": "provider fell over", "mock_error_after": 2, "mock_error_status": 502}
    received: list[str] = []
    with pytest.raises(PromptCallError, match="provider fell over") as caught:
        if mode == "sync":
            for response in llm.stream_chat(USER, other=failing):
                received.append(response.delta or "")
        else:
            async for response in await llm.astream_chat(USER, other=failing):
                received.append(response.delta or "")
    assert received == ["You ", "said: "]
    assert isinstance(caught.value, humanloop_core.ApiError)
    assert caught.value.body["id"]  # the log that recorded the failure
    assert recorder.of(ExceptionEvent) and not recorder.of(LLMChatEndEvent)


async def test_client_is_built_from_the_llms_settings(base_url: str, api_key: str) -> None:
    llm = Humanloop(path="p", base_url=base_url, api_key=api_key, timeout=7.5, max_retries=0)
    assert llm._client_kwargs() == {
        "api_key": api_key,
        "base_url": base_url,
        "timeout": 7.5,
        "max_retries": 0,
    }
    assert isinstance(llm._get_client(), humanloop_core.Humanloop)
    assert isinstance(await llm._get_aclient(), humanloop_core.AsyncHumanloop)


@pytest.mark.parametrize(("cache_seconds", "lookups"), [(60.0, 1), (0.0, 3)])
def test_deployed_kernel_is_fetched_once_per_cache_period(
    client: humanloop_core.Humanloop,
    base_url: str,
    api_key: str,
    cache_seconds: float,
    lookups: int,
) -> None:
    stored = client.prompts.upsert(path=fresh_path("cached"), model="mock-1", provider="mock")
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    hl = humanloop_core.Humanloop(api_key=api_key, base_url=base_url, http_client=http)
    llm = Humanloop(id=stored.id, temperature=0.2, prompt_cache_seconds=cache_seconds, client=hl)
    for _ in range(3):
        assert llm.chat(USER).message.content == REPLY
    assert sum(r.method == "GET" for r in sent) == lookups
    assert sum(r.url.path.endswith("/prompts/call") for r in sent) == 3


def test_async_calls_work_from_successive_event_loops(llm: Humanloop) -> None:
    # LlamaIndex's sync wrappers run coroutines with asyncio.run, a new loop each time;
    # a client whose connections belong to a closed loop would fail the second run.
    replies = [
        asyncio.run(llm.achat([ChatMessage(role="user", content=f"Run {i}")])) for i in range(3)
    ]
    assert [r.message.content for r in replies] == [
        "You said: Run 0",
        "You said: Run 1",
        "You said: Run 2",
    ]


async def test_one_async_client_per_loop_is_reused(llm: Humanloop) -> None:
    first = await llm._get_aclient()
    await llm.achat(USER)
    assert await llm._get_aclient() is first


def test_closing_a_stream_early_closes_the_http_response(base_url: str, api_key: str) -> None:
    responses: list[httpx.Response] = []
    http = httpx.Client(event_hooks={"response": [responses.append]})
    hl = humanloop_core.Humanloop(api_key=api_key, base_url=base_url, http_client=http)
    llm = Humanloop(path=fresh_path(), model="mock-1", provider="mock", client=hl)
    stream = llm.stream_chat(USER)
    assert next(stream).delta == "You "
    (response,) = [r for r in responses if r.request.url.path.endswith("/prompts/call")]
    assert not response.is_closed
    stream.close()
    assert response.is_closed


async def test_closing_an_async_stream_early_closes_the_http_response(
    base_url: str, api_key: str
) -> None:
    responses: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        responses.append(response)

    http = httpx.AsyncClient(event_hooks={"response": [keep]})
    hl = humanloop_core.AsyncHumanloop(api_key=api_key, base_url=base_url, http_client=http)
    llm = Humanloop(path=fresh_path(), model="mock-1", provider="mock", async_client=hl)
    stream = await llm.astream_chat(USER)
    assert (await stream.__anext__()).delta == "You "
    (response,) = [r for r in responses if r.request.url.path.endswith("/prompts/call")]
    assert not response.is_closed
    await stream.aclose()
    # LlamaIndex's callback wrapper does not aclose() the generator it wraps; the loop's
    # async-generator finaliser does, as a task, so the close lands a moment later.
    for _ in range(100):
        if response.is_closed:
            break
        await asyncio.sleep(0.01)
    assert response.is_closed
    await http.aclose()
