"""LlamaIndex: a Humanloop prompt as a LlamaIndex LLM (chat, complete, stream).

    python examples/llamaindex_chat.py
"""

from __future__ import annotations

from _local import backend_with_prompt
from llama_index.core.llms import ChatMessage
from llama_index.llms.humanloop import Humanloop as HumanloopLLM


def main() -> None:
    with backend_with_prompt("examples/llamaindex-chat") as (base_url, api_key):

        llm = HumanloopLLM(path="examples/llamaindex-chat", api_key=api_key, base_url=base_url)
        reply = llm.chat([ChatMessage(role="user", content="Recommend a book about the sea.")])
        print(f"chat: {reply.message.content!r}")

        completion = llm.complete("Finish this sentence: the best thing about mornings is")
        print(f"complete: {completion.text!r}")

        print("stream_chat: ", end="", flush=True)
        for chunk in llm.stream_chat([ChatMessage(role="user", content="Describe rain in five words.")]):
            print(chunk.delta or "", end="", flush=True)
        print("\nllamaindex chat done")


if __name__ == "__main__":
    main()
