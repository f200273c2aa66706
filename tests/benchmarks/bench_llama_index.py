"""This LlamaIndex LLM's overhead next to llama-index-llms-openai's ``OpenAI``, same bytes.

Each LLM is handed an ``httpx`` client over an in-process ``MockTransport`` that answers
every request with one canned body fixed before timing: for Humanloop the
``PromptCallResponse`` / SSE stream of ``bench_client``, for OpenAI a chat completion /
SSE stream carrying the same text, the same number of deltas and the same token counts.
No network or server is timed, only what each LLM (and the client under it) does
around the bytes, including LlamaIndex's callback and instrumentation wrappers, which
both pay alike. Both LLMs run with their default settings.

    python -m tests.benchmarks.bench_llama_index
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.benchmarks._canned import EVENTS, OPENAI_BASE, canned, openai_body, openai_stream_body
from tests.benchmarks._common import Row, compare, print_rows, row
from tests.benchmarks.bench_client import BASE_URL, TEXT, call_body, stream_body


def _ours() -> Any:
    from llama_index.llms.humanloop import Humanloop

    import humanloop_core

    http = httpx.Client(transport=canned(call_body(), stream_body(EVENTS)))
    client = humanloop_core.Humanloop(api_key="k", base_url=BASE_URL, http_client=http)
    return Humanloop(path="bench/assistant", client=client)


def _openai() -> Any:
    from llama_index.llms.openai import OpenAI

    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    return OpenAI(model="gpt-4o-mini", api_key="sk-bench", api_base=OPENAI_BASE, http_client=http)


def _variants(llm: Any) -> tuple[Callable[[], Any], Callable[[], int]]:
    from llama_index.core.base.llms.types import ChatMessage

    messages = [ChatMessage(role="user", content="Tell me about foxes.")]
    return (lambda: llm.chat(messages)), (lambda: sum(1 for _ in llm.stream_chat(messages)))


def _check(variants: dict[str, tuple[Callable[[], Any], Callable[[], int]]]) -> None:
    """Both really parse their bytes, or the comparison means nothing."""
    for name, (chat, stream) in variants.items():
        assert chat().message.content == TEXT, name
        assert stream() >= EVENTS, name


def run(loops: int = 200, repeats: int = 9) -> list[Row]:
    variants = {
        "llama-index-llms-openai OpenAI": _variants(_openai()),
        "Humanloop": _variants(_ours()),
    }
    _check(variants)
    chats = compare({n: v[0] for n, v in variants.items()}, loops=loops, repeats=repeats)
    streams = compare(
        {n: v[1] for n, v in variants.items()}, loops=max(loops // 10, 5), repeats=repeats, warmup=5
    )
    base_chat, base_stream = (
        chats["llama-index-llms-openai OpenAI"],
        streams["llama-index-llms-openai OpenAI"],
    )
    rows: list[Row] = []
    for name, seconds in chats.items():
        target = "<=1.0x" if name == "Humanloop" else ""
        rows.append(row(f"LLM.chat, {name}", seconds * 1e6, "us/call", seconds / base_chat, target))
    for name, seconds in streams.items():
        rows.append(
            row(
                f"LLM.stream_chat {EVENTS} deltas, {name}",
                seconds * 1e6,
                "us/stream",
                seconds / base_stream,
            )
        )
    return rows


if __name__ == "__main__":
    print_rows(run())
