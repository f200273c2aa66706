"""ChatHumanloop against the local server: stored prompts, overrides, errors, key hygiene."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_humanloop import ChatHumanloop, PromptCallError
from pydantic import BaseModel

from humanloop_core import ApiError, AuthenticationError, BadRequestError, NotFoundError
from tests.integrations.langchain.conftest import fresh_path

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
TEMPLATE = [{"role": "system", "content": "You answer questions about {{topic}}."}]
STORED_TOOL = {"name": "lookup_order", "description": "Find an order by number.",
               "parameters": {"type": "object", "properties": {"number": {"type": "integer"}},
                              "required": ["number"]}}


class Refund(BaseModel):
    """Refund an order."""

    order: int


def stored_prompt(client: Any, **kernel: Any) -> Any:
    """A prompt saved on the server the way a Humanloop user would have it."""
    fields = {"model": "mock-1", "provider": "mock", "template": TEMPLATE, "tools": [STORED_TOOL],
              "temperature": 0.3, **kernel}
    return client.prompts.upsert(path=fresh_path("tests/langchain/stored"), **fields)


def test_unchanged_stored_prompt_runs_its_own_version(client: Any, base_url: str, api_key: str) -> None:
    prompt = stored_prompt(client)
    chat = ChatHumanloop(path=prompt.path, inputs={"topic": "billing"}, base_url=base_url, api_key=api_key)
    result = chat.invoke("Where is my refund?")
    meta = result.response_metadata
    assert (meta["prompt_id"], meta["version_id"]) == (prompt.id, prompt.version_id)
    assert meta["model_name"] == "mock-1" and result.content == "You said: Where is my refund?"
    log = client.logs.get(meta["log_id"])
    # The stored template was rendered with the inputs, ahead of the caller's message.
    assert log.messages[0].content == "You answer questions about billing."
    streamed = list(chat.stream("again"))
    assert streamed[-1].response_metadata["model_name"] == "mock-1"  # looked up: stream items lack it


def test_overrides_merge_into_the_deployed_version_and_bound_tools_replace_stored_ones(client: Any, base_url: str,
                                                                  api_key: str) -> None:
    prompt = stored_prompt(client)
    env = client.prompts.list_environments(prompt.id)[0]
    client.prompts.set_deployment(prompt.id, env.id, version_id=prompt.version_id)
    # A newer, undeployed version must not be what the environment address builds on.
    client.prompts.upsert(path=prompt.path, model="mock-9", provider="mock", template="newer")
    chat = ChatHumanloop(path=prompt.path, environment=env.name, temperature=0.0, inputs={"topic": "x"},
                         base_url=base_url, api_key=api_key)
    result = chat.bind_tools([Refund], tool_choice="Refund").invoke("Refund order 42")
    assert result.tool_calls[0]["name"] == "Refund" and result.tool_calls[0]["args"] == {"order": 42}
    used = client.prompts.get(prompt.id, version_id=result.response_metadata["version_id"])
    assert used.version_id != prompt.version_id  # the merged kernel is a version of the same prompt
    assert used.id == prompt.id
    assert [m.to_wire() for m in used.template] == TEMPLATE
    assert (used.model, used.provider, used.temperature) == ("mock-1", "mock", 0.0)
    assert [t.name for t in used.tools] == ["Refund"]  # what bind_tools bound, as with ChatOpenAI


async def test_async_lookup_merges_the_same_way(client: Any, base_url: str, api_key: str) -> None:
    prompt = stored_prompt(client)
    chat = ChatHumanloop(id=prompt.id, max_tokens=2, inputs={"topic": "x"}, base_url=base_url,
                         api_key=api_key)
    result = await chat.ainvoke("one two three four")
    assert result.content == "You said:" and result.response_metadata["finish_reason"] == "length"
    used = client.prompts.get(prompt.id, version_id=result.response_metadata["version_id"])
    assert [t.name for t in used.tools] == ["lookup_order"] and used.max_tokens == 2


def test_new_path_with_model_creates_the_prompt(make_chat: Callable[..., ChatHumanloop], client: Any) -> None:
    chat = make_chat()
    result = chat.invoke("hi")
    prompt = client.prompts.get(result.response_metadata["prompt_id"])
    assert prompt.path == chat.path and prompt.model == "mock-1"


def test_per_call_model_override(make_chat: Callable[..., ChatHumanloop]) -> None:
    chat = make_chat()
    assert chat.invoke("hi", model="mock-2").response_metadata["model_name"] == "mock-2"
    assert chat.invoke("hi").response_metadata["model_name"] == "mock-1"
    chunks = list(chat.stream("hi", model="mock-3"))
    assert sum(c.response_metadata.get("model_name") == "mock-3" for c in chunks) == 1


def test_call_arguments_reach_the_log(make_chat: Callable[..., ChatHumanloop], client: Any) -> None:
    result = make_chat().invoke("hi", log_metadata={"ticket": 7}, user="u-1",
                                 source="langchain-test")
    log = client.logs.get(result.response_metadata["log_id"])
    assert (log.metadata, log.user, log.source) == ({"ticket": 7}, "u-1", "langchain-test")
    with pytest.raises(TypeError, match="frobnicate"):
        make_chat().invoke("hi", frobnicate=True)


def test_stream_chunk_shape(make_chat: Callable[..., ChatHumanloop]) -> None:
    chunks = list(make_chat().stream("one two three"))
    assert len(chunks) >= 4  # one word per chunk from the mock
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert [c.chunk_position for c in chunks].count("last") == 1 and chunks[-1].chunk_position == "last"
    assert sum(c.usage_metadata is not None for c in chunks) == 1
    assert sum(bool(c.response_metadata.get("log_id")) for c in chunks) == 1
    full = chunks[0]
    for c in chunks[1:]:
        full += c
    assert full.content == "You said: one two three"
    assert full.usage_metadata == {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
    assert full.response_metadata["finish_reason"] == "stop"
    assert len({c.id for c in chunks}) == 1  # every chunk names the same log


def test_image_parts_reach_the_server(make_chat: Callable[..., ChatHumanloop], client: Any) -> None:
    message = HumanMessage([{"type": "text", "text": "describe"},
                            {"type": "image", "base64": PNG, "mime_type": "image/png"}])
    result = make_chat().invoke([message])
    sent = client.logs.get(result.response_metadata["log_id"]).messages[-1]
    assert sent.content[1].image_url.url == f"data:image/png;base64,{PNG}"


def test_unsupported_content_raises_before_sending(make_chat: Callable[..., ChatHumanloop]) -> None:
    message = HumanMessage([{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}])
    with pytest.raises(ValueError, match="'audio' content block"):
        make_chat(base_url="http://127.0.0.1:9/v5").invoke([message])  # nothing listens there


class ErrorRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.errors.append(error)


def test_errors_propagate_with_the_response_and_without_the_key(
    make_chat: Callable[..., ChatHumanloop],
) -> None:
    secret = "sk-wrong-key-0123456789"
    recorder = ErrorRecorder()
    with pytest.raises(AuthenticationError) as caught:
        make_chat(api_key=secret).invoke("hi", config={"callbacks": [recorder]})
    error = caught.value
    assert error.response is not None and error.response.status_code == 401
    assert recorder.errors == [error]  # callbacks and tracers see the same error, status included
    assert secret not in str(error) and secret not in repr(error)


@pytest.mark.parametrize("status", [400, 502])
def test_provider_failure_is_a_prompt_call_error_with_the_response(
    client: Any, base_url: str, api_key: str, status: int,
) -> None:
    # The same class a stream raises for the same failure (see the next test).
    prompt = stored_prompt(client, other={"mock_error": "provider fell over", "mock_error_status": status})
    chat = ChatHumanloop(path=prompt.path, inputs={"topic": "x"}, base_url=base_url, api_key=api_key,
                         max_retries=0)
    with pytest.raises(PromptCallError, match="provider fell over") as caught:
        chat.invoke("hi")
    assert caught.value.response.status_code == caught.value.status_code == status
    assert isinstance(caught.value.__cause__, BadRequestError if status == 400 else ApiError)
    log = client.logs.get(caught.value.body["id"])  # the log that recorded the failure
    assert "provider fell over" in log.error


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_failure_mid_stream_raises_after_the_chunks_received(
    client: Any, base_url: str, api_key: str, use_async: bool,
) -> None:
    prompt = stored_prompt(client, other={"mock_error": "provider fell over", "mock_error_after": 2})
    chat = ChatHumanloop(path=prompt.path, inputs={"topic": "x"}, base_url=base_url, api_key=api_key)
    received: list[AIMessageChunk] = []
    with pytest.raises(PromptCallError, match="provider fell over") as caught:
        if use_async:
            async for chunk in chat.astream("one two three"):
                received.append(chunk)
        else:
            for chunk in chat.stream("one two three"):
                received.append(chunk)
    assert "".join(str(c.content) for c in received) == "You said: "
    assert isinstance(caught.value, ApiError) and caught.value.response is not None
    assert caught.value.body["id"] == received[0].id  # the log that recorded the failure


def test_missing_prompt_is_a_not_found_error(base_url: str, api_key: str) -> None:
    chat = ChatHumanloop(path=fresh_path(), base_url=base_url, api_key=api_key)
    with pytest.raises(NotFoundError) as caught:
        chat.invoke("hi")
    assert caught.value.response.status_code == 404
    with pytest.raises(ValueError, match="names a model"):
        chat.invoke("hi", temperature=0.5)  # a kernel is needed, and nothing names a model


def test_key_never_in_repr_or_serialisation(base_url: str) -> None:
    secret = "sk-live-abcdef-0123456789"
    chat = ChatHumanloop(path="p", api_key=secret, base_url=base_url)
    for text in (repr(chat), str(chat), dumps(chat), json.dumps(chat.dict(), default=str),
                 json.dumps(chat._identifying_params)):
        assert secret not in text
    revived = load(
        dumpd(chat), secrets_map={"HUMANLOOP_API_KEY": secret}, allowed_objects="all",
        valid_namespaces=["langchain_humanloop"],
        additional_import_mappings={("langchain_humanloop", "chat_models", "ChatHumanloop"):
                                    ("langchain_humanloop", "chat_models", "ChatHumanloop")},
    )
    assert isinstance(revived, ChatHumanloop) and revived.api_key.get_secret_value() == secret
    assert revived.path == "p" and revived.base_url == base_url


def test_async_calls_under_successive_event_loops(make_chat: Callable[..., ChatHumanloop]) -> None:
    chat = make_chat()  # one instance, two asyncio.run loops: pooled connections must not leak across
    assert asyncio.run(chat.ainvoke("one")).content == "You said: one"
    assert asyncio.run(chat.ainvoke("two")).content == "You said: two"


def test_injected_client_is_used(base_url: str, api_key: str) -> None:
    from humanloop_core import Humanloop

    with Humanloop(base_url=base_url, api_key=api_key) as injected:
        chat = ChatHumanloop(path=fresh_path(), model="mock-1", provider="mock", client=injected,
                             api_key="not-this-one", base_url="http://127.0.0.1:9/v5")
        assert chat.invoke("hi").content == "You said: hi"
        assert "client" not in dumpd(chat)["kwargs"]
