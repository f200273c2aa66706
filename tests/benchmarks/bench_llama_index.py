"""This LlamaIndex LLM's overhead next to llama-index-llms-openai's ``OpenAI``, same bytes.

Each LLM is handed an ``httpx`` client over an in-process ``MockTransport`` that answers
every request with one canned body fixed before timing: for Humanloop the
``PromptCallResponse`` / SSE stream of ``bench_client``, for OpenAI a chat completion /
SSE stream carrying the same text, the same number of deltas and the same token counts.
No network or server is timed, only what each LLM (and the client under it) does
around the bytes, including LlamaIndex's callback and instrumentation wrappers, which
both pay alike. Both LLMs run with their default settings.

Two figures per operation. Adapter only: what each LLM adds on top of its own SDK (the
LLM's ``chat`` minus ``humanloop_core``'s ``prompts.call`` on the same bytes; ``OpenAI``'s
minus the ``openai`` SDK's ``chat.completions.create``), the goal being <= 0.5x of
``OpenAI``'s. Whole call: the LLMs end to end, which also compares the SDKs under them.

    python -m tests.benchmarks.bench_llama_index
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.benchmarks._canned import EVENTS, OPENAI_BASE, canned, openai_body, openai_stream_body
from tests.benchmarks._common import Row, adapter_rows, print_rows, samples
from tests.benchmarks.bench_client import BASE_URL, TEXT, call_body, stream_body

TWIN, OURS = "llama-index-llms-openai OpenAI", "Humanloop"
OPENAI_SDK, CORE = "openai SDK", "humanloop_core"
MESSAGES = [{"role": "user", "content": "Tell me about foxes."}]


def _core() -> Any:
    import humanloop_core

    http = httpx.Client(transport=canned(call_body(), stream_body(EVENTS)))
    return humanloop_core.Humanloop(api_key="k", base_url=BASE_URL, http_client=http)


def _ours() -> Any:
    from llama_index.llms.humanloop import Humanloop

    return Humanloop(path="bench/assistant", client=_core())


def _sdk_variants() -> dict[str, tuple[Callable[[], Any], Callable[[], int]]]:
    """The same requests made with each LLM's own SDK."""
    import openai

    core = _core()
    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    sdk = openai.OpenAI(api_key="sk-bench", base_url=OPENAI_BASE, http_client=http)

    def core_stream() -> int:
        with core.prompts.call_stream(path="bench/assistant", messages=MESSAGES) as stream:
            return sum(1 for _ in stream)

    return {
        OPENAI_SDK: (lambda: sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES),
                     lambda: sum(1 for _ in sdk.chat.completions.create(
                         model="gpt-4o-mini", messages=MESSAGES, stream=True))),
        CORE: (lambda: core.prompts.call(path="bench/assistant", messages=MESSAGES), core_stream),
    }


def _openai() -> Any:
    from llama_index.llms.openai import OpenAI

    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    return OpenAI(model="gpt-4o-mini", api_key="sk-bench", api_base=OPENAI_BASE, http_client=http)


def _variants(llm: Any) -> tuple[Callable[[], Any], Callable[[], int]]:
    from llama_index.core.base.llms.types import ChatMessage

    messages = [ChatMessage(role="user", content="Tell me about foxes.")]
    return (lambda: llm.chat(messages)), (lambda: sum(1 for _ in llm.stream_chat(messages)))


FLOOR = "an LLM doing nothing"


def _floor() -> tuple[Callable[[], Any], Callable[[], int]]:
    """LlamaIndex's own cost per call, which every LLM pays: an LLM whose ``chat`` and
    ``stream_chat`` (under the same callback decorators) return fixed responses."""
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse, LLMMetadata
    from llama_index.core.llms import LLM
    from llama_index.core.llms.callbacks import llm_chat_callback

    def reply(text: str, delta: str | None = None) -> ChatResponse:
        return ChatResponse(message=ChatMessage(role="assistant", content=text), delta=delta)

    class Nothing(LLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True)

        @llm_chat_callback()
        def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return reply(TEXT)

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
            def gen() -> Any:
                text = ""
                for i in range(EVENTS):
                    text += f"word{i} "
                    yield reply(text, f"word{i} ")
            return gen()

        def complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        stream_complete = achat = astream_chat = acomplete = astream_complete = complete

    return _variants(Nothing())


def _check(variants: dict[str, tuple[Callable[[], Any], Callable[[], int]]]) -> None:
    """Both really parse their bytes, or the comparison means nothing."""
    for name, (chat, stream) in variants.items():
        assert chat().message.content == TEXT, name
        assert stream() >= EVENTS, name


def run(loops: int = 100, repeats: int = 15) -> list[Row]:
    llms = {TWIN: _variants(_openai()), OURS: _variants(_ours())}
    _check(llms)
    variants = {**llms, **_sdk_variants(), FLOOR: _floor()}
    chats = samples({n: v[0] for n, v in variants.items()}, loops=loops, repeats=repeats,
                     clock=time.process_time)
    streams = samples({n: v[1] for n, v in variants.items()}, loops=max(loops // 10, 5),
                      repeats=repeats, warmup=5, clock=time.process_time)
    twin, ours = (TWIN, OPENAI_SDK), (OURS, CORE)
    return [*adapter_rows("LLM.chat", "us/call", twin, ours, chats, FLOOR),
            *adapter_rows(f"LLM.stream_chat {EVENTS} deltas", "us/stream", twin, ours, streams,
                          FLOOR)]


if __name__ == "__main__":
    print_rows(run())
