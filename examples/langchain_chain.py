"""LangChain: a Humanloop prompt as the chat model of an LCEL chain.

    python examples/langchain_chain.py
"""

from __future__ import annotations

from _local import MOCK_PROMPT, backend
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_humanloop import ChatHumanloop

from humanloop_core import Humanloop


def main() -> None:
    with backend() as (base_url, api_key):
        with Humanloop(api_key=api_key, base_url=base_url) as client:
            client.prompts.upsert(path="examples/langchain-chain", **MOCK_PROMPT)

        llm = ChatHumanloop(path="examples/langchain-chain", api_key=api_key, base_url=base_url)
        prompt = ChatPromptTemplate.from_messages(
            [("system", "You write product taglines."), ("human", "A tagline for {product}, please.")]
        )
        chain = prompt | llm | StrOutputParser()

        print(f"invoke: {chain.invoke({'product': 'a solar kettle'})!r}")
        print(f"batch: {chain.batch([{'product': 'rain boots'}, {'product': 'a desk lamp'}])!r}")
        print("stream: ", end="", flush=True)
        for piece in chain.stream({"product": "a bicycle bell"}):
            print(piece, end="", flush=True)
        print("\nlangchain chain done")


if __name__ == "__main__":
    main()
