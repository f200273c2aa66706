"""LlamaIndex: a FunctionAgent whose LLM is a Humanloop prompt, calling a Python tool.

    python examples/llamaindex_agent.py

With the mock provider the model calls a tool when the user's message names it, with
arguments taken from the message, and then answers with the tool's result.
"""

from __future__ import annotations

import asyncio

from _local import backend_with_prompt
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.llms.humanloop import Humanloop as HumanloopLLM


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


async def run(llm: HumanloopLLM) -> None:
    agent = FunctionAgent(tools=[multiply], llm=llm, system_prompt="Use tools for arithmetic.")
    handler = agent.run(user_msg="Use multiply to compute 6 times 7.")
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"tool call: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
    response = await handler
    print(f"agent answer: {response}")


def main() -> None:
    with backend_with_prompt("examples/llamaindex-agent") as (base_url, api_key):
        llm = HumanloopLLM(path="examples/llamaindex-agent", api_key=api_key, base_url=base_url)
        asyncio.run(run(llm))


if __name__ == "__main__":
    main()
