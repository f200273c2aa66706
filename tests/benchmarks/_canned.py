"""Canned wire bytes the adapter benchmarks share: an OpenAI chat completion and its SSE
stream carrying the same text, deltas and token counts as ``bench_client``'s Humanloop
bodies, and one ``MockTransport`` that answers a request with the plain or the streamed body.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.benchmarks.bench_client import TEXT

EVENTS = 50  # deltas per streamed reply
PROMPT_TOKENS, OUTPUT_TOKENS = 21, 40
OPENAI_BASE = "http://bench.local/v1"


def openai_body() -> bytes:
    """A chat completion with the text and usage of ``bench_client.call_body``."""
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": TEXT, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": OUTPUT_TOKENS,
            "total_tokens": PROMPT_TOKENS + OUTPUT_TOKENS,
        },
    }
    return json.dumps(body).encode()


def openai_stream_body(events: int = EVENTS) -> bytes:
    """``events`` chat-completion chunks, finish reason and usage on the last, then [DONE]."""
    lines = []
    for i in range(events):
        last = i == events - 1
        chunk: dict[str, Any] = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1767225600,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": f"word{i} "},
                    "finish_reason": "stop" if last else None,
                }
            ],
        }
        if last:
            chunk["usage"] = {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": events,
                "total_tokens": PROMPT_TOKENS + events,
            }
        lines.append(f"data: {json.dumps(chunk)}\n\n")
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def canned(call: bytes, stream: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if b'"stream":true' in request.content.replace(b" ", b""):
            return httpx.Response(
                200, content=stream, headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, content=call, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)
