"""A real model behind the local server: prompts with provider "openai".

    OPENAI_API_KEY=sk-... python examples/openai_backend.py
    OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_API_KEY=x OPENAI_MODEL=llama3.2 python examples/openai_backend.py

The server forwards calls to any OpenAI-compatible chat-completions endpoint
(OPENAI_BASE_URL, default OpenAI's) with OPENAI_API_KEY from its environment (or the
call's provider_api_keys). Without a key this example says so and exits successfully.
"""

from __future__ import annotations

import os
import sys

from _local import backend

from humanloop_core import Humanloop


def main() -> int:
    if not os.environ.get("OPENAI_API_KEY"):
        print("OPENAI_API_KEY is not set: no real model to call, nothing to do (exit 0).")
        print("Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL, OPENAI_MODEL) to run it.")
        return 0
    model = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
    with backend() as (base_url, api_key), Humanloop(api_key=api_key, base_url=base_url) as client:
        client.prompts.upsert(
            path="examples/openai",
            model=model,
            provider="openai",
            template=[{"role": "system", "content": "Answer in one short sentence."}],
            temperature=0.2,
        )
        question = [{"role": "user", "content": "Why do lighthouses flash in patterns?"}]
        response = client.prompts.call(path="examples/openai", messages=question)
        log = response.logs[0]
        print(f"{model}: {log.output}")
        print(f"usage: {log.prompt_tokens} prompt + {log.output_tokens} output tokens")
        print("streamed: ", end="", flush=True)
        for event in client.prompts.call(path="examples/openai", messages=question, stream=True):
            print(event.output or "", end="", flush=True)
        print("\nopenai backend done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
