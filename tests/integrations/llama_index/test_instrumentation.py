"""HumanloopSpanHandler end to end: llama_index.llms.openai.OpenAI on the loopback fake, a
real query engine, chat engine and FunctionAgent, the session server's OTLP import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import HumanloopSpanHandler
from llama_index.llms.openai import OpenAI

from humanloop_core import Humanloop
from humanloop_core.server import LocalServer
from tests.tracing.fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, fake_openai


@pytest.fixture
def llm() -> Iterator[OpenAI]:
    with fake_openai() as (url, _):
        yield OpenAI(model="gpt-4o-mini", api_base=url, api_key="sk-li-secret", temperature=0.3)


@pytest.fixture
def handler(local_server: LocalServer) -> Iterator[HumanloopSpanHandler]:
    client = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)
    handler = HumanloopSpanHandler.attach(client, directory=f"li-{uuid.uuid4().hex[:8]}")
    yield handler
    handler.detach()


def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents([Document(text="Paris is in France.")],
                                           embed_model=MockEmbedding(embed_dim=3))


def flow_tree(server: LocalServer, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    file = server.store.get_file_by_path(path)
    assert file is not None, f"no flow at {path}"
    rows, total = server.store.list_logs({"file_id": file["id"]}, 1, 10)
    assert total == 1, f"{total} flows at {path}"
    kids = server.store.child_logs("trace_parent_id", rows[0]["id"])
    return rows[0], sorted(kids, key=lambda k: k["body"]["start_time"])


def path_of(server: LocalServer, log: dict[str, Any]) -> str:
    return str(server.store.get_file(log["file_id"])["path"])  # type: ignore[index]


def test_query_engine(handler: HumanloopSpanHandler, local_server: LocalServer, llm: OpenAI) -> None:
    engine = index().as_query_engine(llm=llm, embed_model=MockEmbedding(embed_dim=3))
    answer = engine.query("Where is Paris?")
    assert "Paris is in France" in str(answer)
    assert handler.flush()
    d = handler._directory
    root, kids = flow_tree(local_server, f"{d}/RetrieverQueryEngine")
    assert root["body"]["inputs"] == {"str_or_query_bundle": "Where is Paris?"}
    assert "Paris is in France" in root["body"]["output"]
    assert [(k["type"], path_of(local_server, k)) for k in kids] == [
        ("tool", f"{d}/VectorIndexRetriever"), ("prompt", f"{d}/gpt-4o-mini")]
    retrieval, chat = kids
    assert retrieval["body"]["inputs"] == {"query": "Where is Paris?"}
    assert "Paris is in France." in retrieval["body"]["output"]
    body = chat["body"]
    assert body["messages"][0]["role"] == "system" and "Where is Paris?" in body["messages"][-1]["content"]
    assert body["output"].startswith("Fake answer to:")
    assert (body["prompt_tokens"], body["output_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    assert body["provider_latency"] > 0
    kernel = local_server.store.get_version(chat["version_id"])["kernel"]  # type: ignore[index]
    assert (kernel["model"], kernel["provider"], kernel["temperature"]) == ("gpt-4o-mini", "openai", 0.3)
    assert "sk-li-secret" not in str([root, kids])


def test_chat_engine(handler: HumanloopSpanHandler, local_server: LocalServer, llm: OpenAI) -> None:
    engine = index().as_chat_engine(chat_mode="context", llm=llm)
    assert str(engine.chat("Where is Paris?")).startswith("Fake answer to:")
    assert handler.flush()
    d = handler._directory
    root, kids = flow_tree(local_server, f"{d}/ContextChatEngine")
    assert [k["type"] for k in kids] == ["tool", "prompt"]
    assert kids[1]["body"]["messages"][-1] == {"role": "user", "content": "Where is Paris?"}


async def test_function_agent(handler: HumanloopSpanHandler, local_server: LocalServer, llm: OpenAI) -> None:
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm, name="weather_agent")
    result = await agent.run("weather in Paris?")
    assert str(result) == "Fake answer to: sunny in Paris"
    assert handler.flush()
    d = handler._directory
    root, kids = flow_tree(local_server, f"{d}/weather_agent")
    assert [(k["type"], path_of(local_server, k)) for k in kids] == [
        ("prompt", f"{d}/gpt-4o-mini"), ("tool", f"{d}/get_weather"), ("prompt", f"{d}/gpt-4o-mini")]
    first, tool, second = kids
    assert first["body"]["output_message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert tool["body"]["inputs"] == {"city": "Paris"} and tool["body"]["output"] == "sunny in Paris"
    assert second["body"]["messages"][-1]["role"] == "tool"
    assert all(k["body"]["prompt_tokens"] == PROMPT_TOKENS for k in (first, second))
    tool_kernel = local_server.store.get_version(tool["version_id"])["kernel"]  # type: ignore[index]
    assert tool_kernel["function"]["name"] == "get_weather"
    assert root["body"]["output"] == "Fake answer to: sunny in Paris"
