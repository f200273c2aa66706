"""What a ChatOpenAI user does, against the local server's ``openai`` provider on a
loopback fake that sends usage after the finish reason (``choices: []``), as OpenAI does."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.tools import tool
from langchain_humanloop import ChatHumanloop, PromptCallError

from humanloop_core import NotFoundError
from tests.integrations.fake_openai import USAGE_PROMPT_TOKENS, FakeOpenAI
from tests.integrations.langchain.conftest import fresh_path

QUESTION = "how are you"
REPLY = f"Fake says: {QUESTION}"
USAGE = {"input_tokens": USAGE_PROMPT_TOKENS, "output_tokens": len(REPLY.split()),
         "total_tokens": USAGE_PROMPT_TOKENS + len(REPLY.split())}


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@pytest.fixture
def openai_chat(client: Any, base_url: str, api_key: str, fake_openai: FakeOpenAI) -> ChatHumanloop:
    """A stored gpt-4o-mini prompt on the openai provider, addressed by path only."""
    prompt = client.prompts.upsert(path=fresh_path("tests/langchain/openai"), model="gpt-4o-mini",
                                   provider="openai")
    return ChatHumanloop(path=prompt.path, base_url=base_url, api_key=api_key, max_retries=0)


def _summed(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


async def test_streams_report_usage_sent_after_the_finish_reason(openai_chat: ChatHumanloop) -> None:
    streamed = _summed(list(openai_chat.stream(QUESTION)))
    assert streamed.content == REPLY and streamed.usage_metadata == USAGE
    assert streamed.response_metadata["finish_reason"] == "stop"
    assert streamed.response_metadata["model_name"] == "gpt-4o-mini"

    astreamed = _summed([c async for c in openai_chat.astream(QUESTION)])
    assert astreamed.usage_metadata == USAGE

    events = [e async for e in openai_chat.astream_events(QUESTION, version="v2")]
    ended = next(e for e in events if e["event"] == "on_chat_model_end")
    assert ended["data"]["output"].usage_metadata == USAGE
    usage_chunks = [e for e in events if e["event"] == "on_chat_model_stream"
                    and e["data"]["chunk"].usage_metadata]
    assert len(usage_chunks) == 1  # once, not repeated per chunk


def test_langgraph_messages_stream_reports_usage(openai_chat: ChatHumanloop) -> None:
    from langgraph.graph import START, MessagesState, StateGraph

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [openai_chat.invoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("model", call_model).add_edge(START, "model").compile()
    parts = [message for message, _ in graph.stream({"messages": [HumanMessage(QUESTION)]},
                                                      stream_mode="messages")]
    assert "".join(str(m.content) for m in parts) == REPLY
    assert [m.usage_metadata for m in parts if m.usage_metadata] == [USAGE]


def test_llm_output_and_streamed_generation_info_as_chat_openai(
    openai_chat: ChatHumanloop, base_url: str, api_key: str,
) -> None:
    result = openai_chat.generate([[HumanMessage(QUESTION)]])
    assert result.llm_output is not None
    assert result.llm_output["token_usage"] == {
        "prompt_tokens": USAGE["input_tokens"], "completion_tokens": USAGE["output_tokens"],
        "total_tokens": USAGE["total_tokens"]}
    assert result.llm_output["model_name"] == "gpt-4o-mini"

    streaming = openai_chat.model_copy(update={"streaming": True})
    generation = streaming.generate([[HumanMessage(QUESTION)]]).generations[0][0]
    assert generation.generation_info == {"finish_reason": "stop", "model_name": "gpt-4o-mini"}
    assert generation.message.usage_metadata == USAGE  # type: ignore[attr-defined]


def test_parallel_tool_calls_false_reaches_the_provider(
    openai_chat: ChatHumanloop, fake_openai: FakeOpenAI,
) -> None:
    fake_openai.tool_arguments = '{"a": 1, "b": 2}'
    bound = openai_chat.bind_tools([add], tool_choice="add", parallel_tool_calls=False)
    message = bound.invoke("add 1 and 2")
    assert message.tool_calls[0]["name"] == "add" and message.tool_calls[0]["args"] == {"a": 1, "b": 2}
    sent = fake_openai.requests[-1]
    assert sent["parallel_tool_calls"] is False
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    # without it, nothing is added
    openai_chat.bind_tools([add], tool_choice="add").invoke("add 1 and 2")
    assert "parallel_tool_calls" not in fake_openai.requests[-1]


def test_logprobs_true_is_refused_before_any_request(
    openai_chat: ChatHumanloop, fake_openai: FakeOpenAI,
) -> None:
    with pytest.raises(ValueError, match="no field for them"):
        openai_chat.invoke(QUESTION, logprobs=True)
    with pytest.raises(ValueError, match="log probabilities"):
        openai_chat.invoke(QUESTION, top_logprobs=3)
    with pytest.raises(ValueError, match="log probabilities"):
        ChatHumanloop(path="p", logprobs=True)
    assert fake_openai.requests == []
    assert openai_chat.invoke(QUESTION, logprobs=False).content == REPLY


def test_unknown_keywords_move_into_model_kwargs_with_a_warning(
    openai_chat: ChatHumanloop, fake_openai: FakeOpenAI, base_url: str, api_key: str,
) -> None:
    with pytest.warns(UserWarning, match="'temprature'.*moved into model_kwargs"):
        chat = ChatHumanloop(path=openai_chat.path, temprature=0.0, base_url=base_url,
                             api_key=api_key, model_kwargs={"logit_bias": {"50256": -100}})
    assert chat.model_kwargs == {"temprature": 0.0, "logit_bias": {"50256": -100}}
    with pytest.warns(UserWarning, match="'temperature'.*not in model_kwargs"):
        moved = ChatHumanloop(path="p", model_kwargs={"temperature": 0.5})
    assert moved.temperature == 0.5 and moved.model_kwargs == {}
    with pytest.raises(ValueError, match="both directly and in model_kwargs"):
        ChatHumanloop(path="p", seed=1, model_kwargs={"seed": 2})

    assert chat.invoke(QUESTION).content == REPLY
    sent = fake_openai.requests[-1]
    # sent to the provider as ChatOpenAI would (the typo included), the stored model kept
    assert sent["temprature"] == 0.0 and sent["logit_bias"] == {"50256": -100}
    assert sent["model"] == "gpt-4o-mini"


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_one_model_failure_raises_prompt_call_error_from_invoke_and_stream(
    openai_chat: ChatHumanloop, client: Any, use_async: bool,
) -> None:
    errors: list[PromptCallError] = []
    for streamed in (False, True):
        with pytest.raises(PromptCallError, match="the fake model refused") as caught:
            if use_async:
                await (_adrain(openai_chat, "FAIL please") if streamed else openai_chat.ainvoke("FAIL please"))
            else:
                list(openai_chat.stream("FAIL please")) if streamed else openai_chat.invoke("FAIL please")
        errors.append(caught.value)
    for error in errors:  # either way the failed call was logged, and the error names its log
        assert "the fake model refused" in client.logs.get(error.body["id"]).error


async def _adrain(chat: ChatHumanloop, text: str) -> None:
    async for _ in chat.astream(text):
        pass


def test_missing_prompt_without_model_names_chat_humanloops_arguments(base_url: str, api_key: str) -> None:
    chat = ChatHumanloop(path=fresh_path(), base_url=base_url, api_key=api_key)
    for call in (chat.invoke, lambda text: list(chat.stream(text))):
        with pytest.raises(NotFoundError) as caught:
            call("hi")
        message = str(caught.value)
        assert "`model=`" in message and "ChatHumanloop" in message
        assert "pass `prompt`" not in message
        assert caught.value.status_code == 404


def test_each_asyncio_run_closes_its_own_async_client(openai_chat: ChatHumanloop) -> None:
    gc.collect()  # what earlier tests left behind is not this test's to report
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert asyncio.run(openai_chat.ainvoke(QUESTION)).content == REPLY
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]


def test_get_num_tokens_uses_tiktoken_for_the_stored_openai_model(openai_chat: ChatHumanloop) -> None:
    # the prompt is addressed by path only: the model comes from the stored version
    assert openai_chat.get_token_ids("hello world") == [24912, 2375]  # o200k_base, as gpt-4o-mini
    assert openai_chat.get_num_tokens("hello world") == 2
    assert openai_chat.get_num_tokens_from_messages([HumanMessage("hello world")]) > 2


def test_profile_sizes_come_from_the_model_table() -> None:
    profile = ChatHumanloop(path="p", model="gpt-4o-mini").profile or {}
    assert (profile.get("max_input_tokens"), profile.get("max_output_tokens")) == (128_000, 16_384)
    assert "max_input_tokens" not in (ChatHumanloop(path="p", model="mock-1").profile or {})
