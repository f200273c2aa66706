"""LangChain: a Humanloop prompt as the chat model of an LCEL chain.

    python examples/langchain_chain.py
"""

from __future__ import annotations

from _local import backend_with_prompt
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_humanloop import ChatHumanloop


def main() -> None:
    with backend_with_prompt("examples/langchain-chain") as (base_url, api_key):

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
