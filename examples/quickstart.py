"""Quickstart: save a prompt, call it, page through prompts, handle an error.

    python examples/quickstart.py

Runs on an embedded local server unless HUMANLOOP_BASE_URL is set.
"""

from __future__ import annotations

from _local import MOCK_PROMPT, backend

from humanloop_core import Humanloop, NotFoundError


def main() -> None:
    with backend() as (base_url, api_key), Humanloop(api_key=api_key, base_url=base_url) as client:
        prompt = client.prompts.upsert(path="examples/quickstart", **MOCK_PROMPT)
        print(f"saved prompt {prompt.path!r} (version {prompt.version_id})")

        response = client.prompts.call(
            path="examples/quickstart",
            messages=[{"role": "user", "content": "What is the capital of France?"}],
        )
        log = response.logs[0]
        print(f"answer: {log.output}")
        print(f"usage: {log.prompt_tokens} prompt + {log.output_tokens} output tokens, log {response.id}")

        for i in range(3):  # a few more prompts so there is something to paginate
            client.prompts.upsert(path=f"examples/more/prompt-{i}", **MOCK_PROMPT)
        pager = client.prompts.list(size=2)
        print(f"first page: {[p.path for p in pager.items]} (more pages: {pager.has_next})")
        print(f"all prompts: {sorted(p.path for p in pager)}")

        try:
            client.prompts.get("pr_does_not_exist")
        except NotFoundError as err:
            print(f"error handled: {type(err).__name__} status={err.status_code}")


if __name__ == "__main__":
    main()
