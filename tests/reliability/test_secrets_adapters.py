"""The adapters keep the Humanloop key and provider keys out of everything they expose:
their serialisation (what LangChain and LlamaIndex persist and send to tracers) and the
callbacks and instrumentation events a real call emits, including on failure.

The calls run against the local server, so the events are the real ones.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from humanloop_core import AuthenticationError, Humanloop
from tests.reliability.test_secrets import (
    API_KEY,
    PROVIDER_KEY,
    assert_error_clean,
    assert_no_secret,
)

KERNEL_FIELDS = {"model": "mock-1", "provider": "mock"}


def test_langchain_serialisation_hides_the_keys() -> None:
    from langchain_core.load import dumpd, dumps
    from langchain_humanloop import ChatHumanloop

    model = ChatHumanloop(
        api_key=API_KEY,
        path="support/assistant",
        base_url="http://127.0.0.1:9/v5",
        provider_api_keys={"openai": PROVIDER_KEY},
    )
    assert model.api_key is not None and model.api_key.get_secret_value() == API_KEY
    assert_no_secret(json.dumps(dumpd(model)), "langchain dumpd")
    assert_no_secret(dumps(model), "langchain dumps")
    assert_no_secret(repr(model), "repr(ChatHumanloop)")
    assert_no_secret(str(model), "str(ChatHumanloop)")
    assert_no_secret(model.model_dump_json(), "ChatHumanloop.model_dump_json")
    assert_no_secret(repr(model.model_dump()), "ChatHumanloop.model_dump")
    assert_no_secret(repr(model._get_invocation_params()), "ChatHumanloop invocation params")


def test_llama_index_serialisation_hides_the_keys() -> None:
    from llama_index.llms.humanloop import Humanloop as HumanloopLLM

    llm = HumanloopLLM(
        api_key=API_KEY,
        path="support/assistant",
        base_url="http://127.0.0.1:9/v5",
        provider_api_keys={"openai": PROVIDER_KEY},
    )
    assert llm._client_kwargs()["api_key"] == API_KEY
    assert_no_secret(json.dumps(llm.to_dict(), default=str), "LlamaIndex to_dict")
    assert_no_secret(llm.to_json(), "LlamaIndex to_json")
    assert_no_secret(repr(llm), "repr(llama_index Humanloop)")
    assert_no_secret(str(llm), "str(llama_index Humanloop)")
    assert_no_secret(llm.model_dump_json(), "llama_index Humanloop.model_dump_json")
    assert_no_secret(repr(llm.metadata), "llama_index Humanloop.metadata")


def test_server_401_does_not_echo_the_wrong_key(base_url: str) -> None:
    client = Humanloop(api_key=API_KEY, base_url=base_url, max_retries=0)
    with client, pytest.raises(AuthenticationError) as caught:
        client.prompts.list()
    assert_error_clean(caught.value)
    assert_no_secret(caught.value.response.text if caught.value.response else "", "the 401 body")


class _Recorder:
    """A LangChain callback handler that keeps every argument of every callback."""

    def __init__(self) -> None:
        from langchain_core.callbacks import BaseCallbackHandler

        calls = self.calls = []

        class Handler(BaseCallbackHandler):
            def __getattribute__(self, name: str) -> Any:
                if name.startswith("on_"):
                    return lambda *args, **kwargs: calls.append((name, args, kwargs))
                return super().__getattribute__(name)

        self.handler = Handler()


async def test_langchain_callbacks_never_see_the_keys(
    base_url: str, api_key: str, unique_path: str
) -> None:
    from langchain_humanloop import ChatHumanloop

    recorder = _Recorder()
    config = {"callbacks": [recorder.handler]}
    model = ChatHumanloop(
        api_key=api_key,
        base_url=base_url,
        path=unique_path,
        max_retries=0,
        provider_api_keys={"openai": PROVIDER_KEY},
        **KERNEL_FIELDS,
    )
    assert model.invoke("hello", config=config).content
    assert [chunk async for chunk in model.astream("hello", config=config)]
    wrong = ChatHumanloop(api_key=API_KEY, base_url=base_url, path=unique_path, max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        wrong.invoke("hello", config=config)
    assert_error_clean(caught.value)
    names = {name for name, _, _ in recorder.calls}
    assert {"on_chat_model_start", "on_llm_end", "on_llm_error"} <= names, names
    assert_no_secret(repr(recorder.calls), "LangChain callback arguments")


def test_llama_index_events_never_see_the_keys(
    base_url: str, api_key: str, unique_path: str
) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.llms.humanloop import Humanloop as HumanloopLLM

    seen: list[Any] = []

    class Recorder(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "SecretsRecorder"

        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append((event, kwargs))

    dispatcher = get_dispatcher()
    recorder = Recorder()
    dispatcher.add_event_handler(recorder)
    try:
        llm = HumanloopLLM(
            api_key=api_key,
            base_url=base_url,
            path=unique_path,
            max_retries=0,
            provider_api_keys={"openai": PROVIDER_KEY},
            **KERNEL_FIELDS,
        )
        assert llm.chat([ChatMessage(role="user", content="hello")]).message.content
        assert "".join(r.delta or "" for r in llm.stream_complete("hello"))
        wrong = HumanloopLLM(api_key=API_KEY, base_url=base_url, path=unique_path, max_retries=0)
        with pytest.raises(AuthenticationError) as caught:
            wrong.complete("hello")
        assert_error_clean(caught.value)
    finally:
        dispatcher.event_handlers.remove(recorder)
    assert len(seen) >= 4, seen
    dumped = "\n".join(f"{event!r} {kwargs!r} {event.model_dump_json()}" for event, kwargs in seen)
    assert "model_dict" in dumped or "LLMChatStartEvent" in dumped
    assert_no_secret(dumped, "LlamaIndex instrumentation events")
