"""``ChatHumanloop`` overhead next to langchain-openai's ``ChatOpenAI``, on canned bytes.

Two figures per operation. Adapter only: what each chat model adds on top of its own
SDK (``ChatHumanloop.invoke`` minus ``humanloop_core``'s ``prompts.call`` on the same
bytes; ``ChatOpenAI.invoke`` minus the ``openai`` SDK's ``chat.completions.create``),
the goal being <= 0.5x of ChatOpenAI's. Whole call: the chat models end to end, which
also compares the two SDKs under them.

Each chat model gets an ``httpx`` client over an in-process ``MockTransport`` that
answers with bodies fixed before timing: for Humanloop the ``PromptCallResponse`` and
SSE stream of ``bench_client``, for OpenAI the chat completion and chunk stream of
``bench_llama_index`` carrying the same text, the same number of deltas and the same
token counts. No network or server is timed: only what each model (and the client
under it) does around the bytes, including LangChain's callback and tracing plumbing,
which both pay alike. Both run with default settings; ChatHumanloop addresses a stored
prompt by path, its ordinary use, so the stream's one-time prompt lookup (for the model
name) is answered by the transport too and cached before timing.

    python -m tests.benchmarks.bench_langchain
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.benchmarks._canned import (
    EVENTS,
    OPENAI_BASE,
    canned,
    openai_body,
    openai_stream_body,
)
from tests.benchmarks._common import Row, adapter_rows, print_rows, samples
from tests.benchmarks.bench_client import BASE_URL, TEXT, _prompt, call_body, stream_body

BASELINE = "ChatOpenAI"
OURS = "ChatHumanloop"
OPENAI_SDK = "openai SDK"
CORE = "humanloop_core"
QUESTION = "Tell me about foxes."
MESSAGES = [{"role": "user", "content": QUESTION}]


def humanloop_transport() -> httpx.MockTransport:
    """The ``prompts.call`` bodies, plus the stored prompt for the stream's lookup."""
    calls = canned(call_body(), stream_body(EVENTS))
    page = json.dumps({"records": [_prompt()], "page": 1, "size": 10, "total": 1}).encode()
    prompt = json.dumps(_prompt()).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" or request.url.path.endswith("/files/retrieve-by-path"):
            body = page if request.url.path.endswith("/prompts") else prompt
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})
        return calls.handle_request(request)

    return httpx.MockTransport(handler)


def _core() -> Any:
    import humanloop_core

    http = httpx.Client(transport=humanloop_transport())
    return humanloop_core.Humanloop(api_key="k", base_url=BASE_URL, http_client=http)


def _ours() -> Any:
    from langchain_humanloop import ChatHumanloop

    return ChatHumanloop(path="bench/assistant", client=_core())


def _openai_sdk() -> Any:
    import openai

    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    return openai.OpenAI(api_key="sk-bench", base_url=OPENAI_BASE, http_client=http)


def _openai() -> Any:
    from langchain_openai import ChatOpenAI

    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    return ChatOpenAI(model="gpt-4o-mini", api_key="sk-bench", base_url=OPENAI_BASE, http_client=http)


def _variants(llm: Any) -> tuple[Callable[[], Any], Callable[[], int]]:
    return (lambda: llm.invoke(QUESTION)), (lambda: sum(1 for _ in llm.stream(QUESTION)))


def _sdk_variants() -> dict[str, tuple[Callable[[], Any], Callable[[], int]]]:
    """The same requests made with each adapter's own SDK, parsed as it parses them."""
    core, sdk = _core(), _openai_sdk()

    def core_stream() -> int:
        with core.prompts.call_stream(path="bench/assistant", messages=MESSAGES) as stream:
            return sum(1 for _ in stream)

    return {
        OPENAI_SDK: (lambda: sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES),
                     lambda: sum(1 for _ in sdk.chat.completions.create(
                         model="gpt-4o-mini", messages=MESSAGES, stream=True))),
        CORE: (lambda: core.prompts.call(path="bench/assistant", messages=MESSAGES), core_stream),
    }


FLOOR = "a BaseChatModel doing nothing"


def _floor() -> tuple[Callable[[], Any], Callable[[], int]]:
    """LangChain's own cost per call, which every chat model pays: a model whose
    ``_generate`` returns a fixed message and whose ``_stream`` yields fixed chunks."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class Nothing(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "nothing"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None,
                      **kwargs: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(TEXT))])

        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None,
                    **kwargs: Any) -> Any:
            for i in range(EVENTS):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=f"word{i} "))
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    return _variants(Nothing())


def _check(variants: dict[str, tuple[Callable[[], Any], Callable[[], int]]]) -> None:
    """Both really parse their bytes, or the comparison means nothing."""
    for name, (invoke, stream) in variants.items():
        message = invoke()
        assert message.content == TEXT, name
        assert message.usage_metadata["output_tokens"] == 40, name
        assert stream() >= EVENTS, name


def run(loops: int = 100, repeats: int = 15) -> list[Row]:
    adapters = {BASELINE: _variants(_openai()), OURS: _variants(_ours())}
    _check(adapters)
    variants = {**adapters, **_sdk_variants(), FLOOR: _floor()}
    invokes = samples({n: v[0] for n, v in variants.items()}, loops=loops, repeats=repeats,
                     clock=time.process_time)
    streams = samples({n: v[1] for n, v in variants.items()}, loops=max(loops // 10, 5),
                      repeats=repeats, warmup=5, clock=time.process_time)
    pairs = {"twin": (BASELINE, OPENAI_SDK), "ours": (OURS, CORE)}
    return [*adapter_rows("invoke", "us/call", pairs["twin"], pairs["ours"], invokes, FLOOR),
            *adapter_rows(f"stream {EVENTS} deltas", "us/stream", pairs["twin"], pairs["ours"],
                          streams, FLOOR)]


if __name__ == "__main__":
    print_rows(run())
