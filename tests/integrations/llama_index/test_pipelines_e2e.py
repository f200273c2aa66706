"""LlamaIndex's own engines and agents running on this LLM, on the local server's mock."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import Humanloop
from pydantic import BaseModel


def test_simple_chat_engine_chat(llm: Humanloop) -> None:
    engine = SimpleChatEngine.from_defaults(llm=llm)
    assert str(engine.chat("Good morning")) == "You said: Good morning"
    # The second turn goes out with the first in the history; the reply follows the last.
    assert str(engine.chat("And goodbye")) == "You said: And goodbye"
    assert len(engine.chat_history) == 4


def test_simple_chat_engine_stream_chat(llm: Humanloop) -> None:
    engine = SimpleChatEngine.from_defaults(llm=llm)
    response = engine.stream_chat("Stream this please")
    tokens = list(response.response_gen)
    assert len(tokens) == 5
    assert "".join(tokens) == "You said: Stream this please"
    assert engine.chat_history[-1].content == "You said: Stream this please"


async def test_simple_chat_engine_astream_chat(llm: Humanloop) -> None:
    engine = SimpleChatEngine.from_defaults(llm=llm)
    response = await engine.astream_chat("Async stream")
    tokens = [token async for token in response.async_response_gen()]
    assert "".join(tokens) == "You said: Async stream"


DOCUMENTS = [
    Document(text="The capital of Freedonia is Fredville."),
    Document(text="Sylvania exports mostly cheese."),
    Document(text="Marx Brothers starred in Duck Soup."),
]


def test_vector_store_query_engine_answers_through_this_llm(llm: Humanloop) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=llm, similarity_top_k=3)
    response = engine.query("What is the capital of Freedonia?")
    answer = str(response)
    # The mock echoes the QA prompt it was sent: retrieved context and the question.
    assert answer.startswith("You said: ")
    assert "Fredville" in answer and "What is the capital of Freedonia?" in answer
    assert len(response.source_nodes) == 3


async def test_vector_store_query_engine_streams(llm: Humanloop) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=llm, streaming=True)
    response = await engine.aquery("Which country exports cheese?")
    text = "".join([token async for token in response.async_response_gen()])
    assert text.startswith("You said: ") and "Which country exports cheese?" in text


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.mark.parametrize("streaming", [False, True], ids=["blocking", "streaming"])
async def test_function_agent_calls_the_tool_and_answers_with_its_result(
    llm: Humanloop, streaming: bool
) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=multiply)],
        llm=llm,
        streaming=streaming,
        system_prompt="You are a calculator.",
    )
    handler = agent.run(user_msg="Please multiply 6 and 7")
    deltas: list[str] = []
    tool_results: list[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream):
            deltas.append(event.delta)
        elif isinstance(event, ToolCallResult):
            tool_results.append(event)
    response = await handler
    (result,) = tool_results
    assert (result.tool_name, result.tool_kwargs) == ("multiply", {"a": 6, "b": 7})
    assert result.tool_output.content == "42"
    assert str(response) == "The tool returned: multiply -> 42"
    if streaming:
        assert "".join(deltas) == "The tool returned: multiply -> 42"
        assert len(deltas) > 2


class Invoice(BaseModel):
    """An invoice extracted from text."""

    customer: str
    total: float
    paid: bool = False


PROMPT = PromptTemplate('Customer "{customer}" owes {amount} dollars.')
EXPECTED = Invoice(customer="ACME Corp", total=42.5)


def test_structured_predict(llm: Humanloop) -> None:
    assert llm.structured_predict(Invoice, PROMPT, customer="ACME Corp", amount=42.5) == EXPECTED


async def test_astructured_predict(llm: Humanloop) -> None:
    result = await llm.astructured_predict(Invoice, PROMPT, customer="ACME Corp", amount=42.5)
    assert result == EXPECTED


def test_as_structured_llm(llm: Humanloop) -> None:
    structured = llm.as_structured_llm(Invoice)
    response = structured.chat(
        [ChatMessage(role="user", content='Customer "ACME Corp" owes 42.5 dollars.')]
    )
    assert response.raw == EXPECTED
    assert Invoice.model_validate_json(response.message.content) == EXPECTED


def test_stream_structured_predict_fills_the_object_as_arguments_arrive(llm: Humanloop) -> None:
    partials = list(
        llm.stream_structured_predict(Invoice, PROMPT, customer="ACME Corp", amount=42.5)
    )
    assert len(partials) > 2
    assert partials[0].model_dump(exclude_none=True) == {}  # nothing parsed yet
    # Partial JSON is parsed as it streams: the customer arrives before the total.
    assert any(p.customer == "ACME Corp" and p.total is None for p in partials)
    assert Invoice.model_validate(partials[-1].model_dump()) == EXPECTED


async def test_astream_structured_predict(llm: Humanloop) -> None:
    stream = await llm.astream_structured_predict(
        Invoice, PROMPT, customer="ACME Corp", amount=42.5
    )
    partials = [partial async for partial in stream]
    assert Invoice.model_validate(partials[-1].model_dump()) == EXPECTED


def test_structured_llm_stream_chat(llm: Humanloop) -> None:
    structured = llm.as_structured_llm(Invoice)
    messages = [ChatMessage(role="user", content='Customer "ACME Corp" owes 42.5 dollars.')]
    last = list(structured.stream_chat(messages))[-1]
    assert Invoice.model_validate_json(last.message.content) == EXPECTED
