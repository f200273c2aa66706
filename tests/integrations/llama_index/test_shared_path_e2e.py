"""FunctionAgent, structured_predict and chat_with_tools on ONE prompt path, in both orders:
what one of them binds never reaches the others, and plain calls keep the stored version."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import Humanloop
from pydantic import BaseModel

import humanloop_core


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Invoice(BaseModel):
    """An invoice extracted from text."""

    customer: str
    total: float


PROMPT = PromptTemplate('Customer "{customer}" owes {amount} dollars.')


async def _agent(llm: Humanloop) -> None:
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=multiply)], llm=llm,
                          system_prompt="You are a calculator.")
    response = await agent.run(user_msg="Please multiply 6 and 7")
    assert str(response) == "The tool returned: multiply -> 42"


async def _structured(llm: Humanloop) -> None:
    invoice = await llm.astructured_predict(Invoice, PROMPT, customer="ACME", amount=42.5)
    assert invoice == Invoice(customer="ACME", total=42.5)


async def _with_tools(llm: Humanloop) -> None:
    response = await llm.achat_with_tools([FunctionTool.from_defaults(fn=add)],
                                          user_msg="add 2 and 3", tool_required=True)
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert [t["name"] for t in response.raw["prompt"]["tools"]] == ["add"]


async def _plain(llm: Humanloop, version_id: str) -> None:
    response = await llm.achat_with_tools([], user_msg="Good morning")
    assert response.message.content == "You said: Good morning"
    assert response.raw["prompt"]["version_id"] == version_id and not response.raw["prompt"].get("tools")


@pytest.mark.parametrize("order", ["forward", "reverse"])
async def test_agent_structured_output_and_tools_share_one_path(
    client: humanloop_core.Humanloop, base_url: str, api_key: str, unique_path: str, order: str
) -> None:
    stored = client.prompts.upsert(path=unique_path, model="mock-1", provider="mock")
    llm = Humanloop(path=unique_path, base_url=base_url, api_key=api_key)
    other = Humanloop(path=unique_path, base_url=base_url, api_key=api_key, temperature=0.2)
    steps = [_agent(llm), _plain(llm, stored.version_id), _structured(other),
             _with_tools(llm), _plain(other.model_copy(update={"temperature": None}), stored.version_id),
             _agent(other), _structured(llm)]
    for step in steps if order == "forward" else steps[::-1]:
        await step
    assert client.prompts.get(stored.id).version_id == stored.version_id
