"""HumanloopCallbackHandler end to end: ChatOpenAI on the loopback fake, real LCEL chains
and a LangGraph agent, the session server's OTLP import, the stored run tree."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool
from langchain_humanloop import HumanloopCallbackHandler
from langchain_openai import ChatOpenAI

from humanloop_core import Humanloop
from humanloop_core.server import LocalServer
from tests.tracing.fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, fake_openai


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=f"{query} is in France", metadata={"source": "atlas"})]


@pytest.fixture
def openai_url() -> Iterator[str]:
    with fake_openai() as (url, _):
        yield url


@pytest.fixture
def handler(local_server: LocalServer) -> HumanloopCallbackHandler:
    client = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)
    return HumanloopCallbackHandler(client, directory=f"lc-{uuid.uuid4().hex[:8]}")


def tree(server: LocalServer, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    file = server.store.get_file_by_path(path)
    assert file is not None, f"no flow at {path}"
    rows, total = server.store.list_logs({"file_id": file["id"]}, 1, 10)
    assert total == 1, f"{total} flow logs at {path}"
    return rows[0], server.store.child_logs("trace_parent_id", rows[0]["id"])


def path_of(server: LocalServer, log: dict[str, Any]) -> str:
    return str(server.store.get_file(log["file_id"])["path"])  # type: ignore[index]


def test_lcel_chain_with_retriever_chat_openai_and_tool(handler: HumanloopCallbackHandler,
                                                        local_server: LocalServer, openai_url: str) -> None:
    llm = ChatOpenAI(model="gpt-4o-mini", base_url=openai_url, api_key="sk-lc-secret", temperature=0.1)
    prompt = ChatPromptTemplate.from_messages([("system", "Context: {context}"), ("human", "{question}")])

    def run_tools(message: AIMessage) -> str:
        return "; ".join(get_weather.invoke(call["args"]) for call in message.tool_calls)

    chain = ({"context": Docs(), "question": RunnablePassthrough()} | prompt
             | llm.bind_tools([get_weather]) | RunnableLambda(run_tools)).with_config(run_name="weather_chain")
    assert chain.invoke("Paris", config={"callbacks": [handler]}) == "sunny in Paris"
    assert handler.flush()
    directory = handler._directory
    root, kids = tree(local_server, f"{directory}/weather_chain")
    assert root["body"]["inputs"] == {"input": "Paris"} and root["body"]["output"] == "sunny in Paris"
    by_path = {path_of(local_server, k): k for k in kids}
    assert set(by_path) == {f"{directory}/Docs", f"{directory}/gpt-4o-mini", f"{directory}/get_weather"}
    retrieval = by_path[f"{directory}/Docs"]["body"]
    assert retrieval["inputs"] == {"query": "Paris"} and "Paris is in France" in retrieval["output"]
    chat = by_path[f"{directory}/gpt-4o-mini"]
    body = chat["body"]
    system, user = body["messages"]
    assert system["role"] == "system" and "Paris is in France" in system["content"]
    assert user == {"role": "user", "content": "Paris"}
    assert body["output_message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert (body["prompt_tokens"], body["output_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    assert body["provider_latency"] > 0 and body["finish_reason"] == "tool_calls"
    kernel = local_server.store.get_version(chat["version_id"])["kernel"]  # type: ignore[index]
    assert (kernel["model"], kernel["provider"], kernel["temperature"]) == ("gpt-4o-mini", "openai", 0.1)
    assert kernel["tools"][0]["name"] == "get_weather"
    weather = by_path[f"{directory}/get_weather"]["body"]
    assert weather["inputs"] == {"city": "Paris"} and weather["output"] == "sunny in Paris"
    assert "sk-lc-secret" not in str([root, kids])


def test_langgraph_agent(handler: HumanloopCallbackHandler, local_server: LocalServer, openai_url: str) -> None:
    from langgraph.prebuilt import create_react_agent

    llm = ChatOpenAI(model="gpt-4o-mini", base_url=openai_url, api_key="sk-graph")
    agent = create_react_agent(llm, [get_weather], name="weather_agent")
    result = agent.invoke({"messages": [HumanMessage("weather in Paris?")]}, config={"callbacks": [handler]})
    assert isinstance(result["messages"][-2], ToolMessage)
    assert result["messages"][-1].content.startswith("Fake answer to: sunny in")
    assert handler.flush()
    directory = handler._directory
    root, kids = tree(local_server, f"{directory}/weather_agent")
    kinds = [(k["type"], path_of(local_server, k)) for k in sorted(kids, key=lambda k: k["body"]["start_time"])]
    assert kinds == [("prompt", f"{directory}/gpt-4o-mini"), ("tool", f"{directory}/get_weather"),
                     ("prompt", f"{directory}/gpt-4o-mini")]
    first, _, second = sorted(kids, key=lambda k: k["body"]["start_time"])
    assert first["body"]["output_message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert second["body"]["messages"][-1]["role"] == "tool"
    assert all(k["body"]["prompt_tokens"] == PROMPT_TOKENS for k in (first, second))
    assert root["body"]["trace_status"] == "complete"


def test_errors_are_logged_and_never_raised_by_the_handler(handler: HumanloopCallbackHandler,
                                                           local_server: LocalServer) -> None:
    def boom(_: Any) -> str:
        raise ValueError("no luck")

    chain = RunnableLambda(boom).with_config(run_name="failing")
    with pytest.raises(ValueError, match="no luck"):
        chain.invoke("x", config={"callbacks": [handler]})
    assert handler.flush()
    root, kids = tree(local_server, f"{handler._directory}/failing")
    assert root["body"]["error"] == "ValueError: no luck" and kids == []


async def test_concurrent_async_runs_each_get_their_own_flow(handler: HumanloopCallbackHandler,
                                                             local_server: LocalServer, openai_url: str) -> None:
    """One handler shared by concurrent ainvoke runs (abatch): three flows, each with its own
    prompt log, none crossed."""
    llm = ChatOpenAI(model="gpt-4o-mini", base_url=openai_url, api_key="sk-async")
    chain = (ChatPromptTemplate.from_messages([("human", "{q}")]) | llm).with_config(run_name="qa")
    answers = await chain.abatch([{"q": f"question {i}"} for i in range(3)], config={"callbacks": [handler]})
    assert [a.content for a in answers] == [f"Fake answer to: question {i}" for i in range(3)]
    assert handler.flush()
    file = local_server.store.get_file_by_path(f"{handler._directory}/qa")
    assert file is not None
    flows, total = local_server.store.list_logs({"file_id": file["id"]}, 1, 10)
    assert total == 3
    for flow in flows:
        [chat] = local_server.store.child_logs("trace_parent_id", flow["id"])
        assert chat["body"]["messages"] == [{"role": "user", "content": flow["body"]["inputs"]["q"]}]
        assert chat["body"]["output"] == f"Fake answer to: {flow['body']['inputs']['q']}"
