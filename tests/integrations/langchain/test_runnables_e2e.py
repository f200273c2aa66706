"""ChatHumanloop inside real LangChain runnables, against the local server's mock provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_humanloop import ChatHumanloop
from pydantic import BaseModel

MakeChat = Callable[..., ChatHumanloop]


@pytest.fixture
def chain(make_chat: MakeChat) -> Any:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "Tell me about {topic}")])
    return prompt | make_chat() | StrOutputParser()


def test_lcel_chain_invoke_stream_batch(chain: Any) -> None:
    assert chain.invoke({"topic": "otters"}) == "You said: Tell me about otters"
    pieces = list(chain.stream({"topic": "sea otters"}))
    assert len(pieces) > 3 and "".join(pieces) == "You said: Tell me about sea otters"
    topics = [f"topic {n}" for n in range(6)]
    answers = chain.batch([{"topic": t} for t in topics], config={"max_concurrency": 2})
    assert answers == [f"You said: Tell me about {t}" for t in topics]


async def test_lcel_chain_async_and_stream_events(chain: Any) -> None:
    assert await chain.ainvoke({"topic": "owls"}) == "You said: Tell me about owls"
    answers = await chain.abatch([{"topic": "a"}, {"topic": "b"}], config={"max_concurrency": 2})
    assert answers == ["You said: Tell me about a", "You said: Tell me about b"]
    tokens = [event["data"]["chunk"].content async for event in chain.astream_events({"topic": "bats"})
              if event["event"] == "on_chat_model_stream"]
    assert len(tokens) > 3 and "".join(tokens) == "You said: Tell me about bats"


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def _check_tool_call(message: AIMessage) -> None:
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("multiply", {"a": 6, "b": 7})]
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_tool_loop_sync(make_chat: MakeChat) -> None:
    llm = make_chat().bind_tools([multiply])  # tool_choice auto: the user names the tool
    history: list[Any] = [HumanMessage("Please multiply 6 and 7")]
    call = llm.invoke(history)
    _check_tool_call(call)
    history += [call, multiply.invoke(call.tool_calls[0])]
    assert isinstance(history[-1], ToolMessage) and history[-1].content == "42"
    final = llm.invoke(history)
    assert final.content == "The tool returned: multiply -> 42" and not final.tool_calls


async def test_tool_loop_async_streamed(make_chat: MakeChat) -> None:
    llm = make_chat().bind_tools([multiply], tool_choice="multiply")
    history: list[Any] = [HumanMessage("6 times 7?")]
    call = None
    async for chunk in llm.astream(history):
        call = chunk if call is None else call + chunk
    assert call is not None and call.tool_call_chunks  # arrived as chunks, aggregated into calls
    _check_tool_call(call)
    history += [call, await multiply.ainvoke(call.tool_calls[0])]
    final = await make_chat().bind_tools([multiply]).ainvoke(history)
    assert final.content == "The tool returned: multiply -> 42"


def test_tool_choice_none_and_unknown_name(make_chat: MakeChat) -> None:
    assert make_chat().bind_tools([multiply], tool_choice="none").invoke("multiply 2 3").tool_calls == []
    with pytest.raises(ValueError, match="multiply"):
        make_chat().bind_tools([multiply], tool_choice="divide")


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_into_pydantic(make_chat: MakeChat, method: str) -> None:
    extractor = make_chat().with_structured_output(Person, method=method)
    assert extractor.invoke("Extract: 'Ada' is 36") == Person(name="Ada", age=36)
    streamed = list(extractor.stream("Extract: 'Grace' is 85"))
    assert streamed[-1] == Person(name="Grace", age=85)


async def test_structured_output_include_raw_and_json_mode(make_chat: MakeChat) -> None:
    raw = await make_chat().with_structured_output(Person, include_raw=True).ainvoke("'Alan' is 41")
    assert raw["parsed"] == Person(name="Alan", age=41) and raw["parsing_error"] is None
    assert isinstance(raw["raw"], AIMessage) and raw["raw"].tool_calls

    class Reply(BaseModel):
        reply: str

    # The mock's JSON mode answers {"reply": ...}; a schema that does not fit is reported, not raised.
    assert make_chat().with_structured_output(Reply, method="json_mode").invoke("hi") == Reply(
        reply="You said: hi")
    failed = make_chat().with_structured_output(Person, method="json_mode", include_raw=True).invoke("hi")
    assert failed["parsed"] is None and failed["parsing_error"] is not None


class TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


class AsyncTokenCounter(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_one_on_llm_new_token_per_chunk(make_chat: MakeChat) -> None:
    counter = TokenCounter()
    chunks = list(make_chat().stream("one two three", config={"callbacks": [counter]}))
    assert len(counter.tokens) == len(chunks) > 3
    assert "".join(counter.tokens) == "You said: one two three"
    # invoke on a streaming model streams underneath, with the same one-per-chunk rule
    counter = TokenCounter()
    make_chat(streaming=True).invoke("a b", config={"callbacks": [counter]})
    # one word per mock chunk, then the closing chunk (usage, finish reason), as ChatOpenAI's
    assert counter.tokens == ["You ", "said: ", "a ", "b", ""]


async def test_one_on_llm_new_token_per_chunk_async(make_chat: MakeChat) -> None:
    counter = AsyncTokenCounter()
    chunks = [c async for c in make_chat().astream("one two", config={"callbacks": [counter]})]
    assert len(counter.tokens) == len(chunks) and "".join(counter.tokens) == "You said: one two"
