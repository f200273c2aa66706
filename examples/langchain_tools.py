"""LangChain: tool calling with ChatHumanloop.bind_tools, and the tool loop by hand.

    python examples/langchain_tools.py

With the mock provider the model calls a tool when the user's message names it, with
arguments taken from the message (quoted strings, numbers), then answers with the result.
"""

from __future__ import annotations

from _local import backend_with_prompt
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import tool
from langchain_humanloop import ChatHumanloop


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18°C and sunny in {city}"


def main() -> None:
    with backend_with_prompt("examples/langchain-tools") as (base_url, api_key):

        llm = ChatHumanloop(path="examples/langchain-tools", api_key=api_key, base_url=base_url)
        llm_with_tools = llm.bind_tools([get_weather])

        messages: list[BaseMessage] = [HumanMessage('Use get_weather: what is the weather in "Paris"?')]
        ai = llm_with_tools.invoke(messages)
        messages.append(ai)
        for call in ai.tool_calls:
            print(f"tool call: {call['name']}({call['args']}) id={call['id']}")
            result = get_weather.invoke(call)  # a ToolMessage answering that call id
            print(f"tool result: {result.content!r}")
            messages.append(result)
        final = llm_with_tools.invoke(messages)
        print(f"final answer: {final.content!r}")


if __name__ == "__main__":
    main()
