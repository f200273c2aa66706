"""Streaming: print a prompt's reply as it arrives, then the final usage.

    python examples/streaming.py
"""

from __future__ import annotations

from _local import MOCK_PROMPT, backend

from humanloop_core import Humanloop


def main() -> None:
    with backend() as (base_url, api_key), Humanloop(api_key=api_key, base_url=base_url) as client:
        client.prompts.upsert(path="examples/streaming", **MOCK_PROMPT)
        chunks = 0
        print("streamed: ", end="", flush=True)
        with client.prompts.call(
            path="examples/streaming",
            messages=[{"role": "user", "content": "Tell me a short story about a lighthouse."}],
            stream=True,
        ) as stream:
            for event in stream:
                chunks += 1
                print(event.output or "", end="", flush=True)
                if event.finish_reason:
                    print(f"\nfinish_reason={event.finish_reason} log={event.id}")
        print(f"stream done: {chunks} chunks")


if __name__ == "__main__":
    main()
