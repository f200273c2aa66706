"""A loopback OpenAI chat-completions endpoint for the adapters' ``openai`` provider tests.

It speaks the documented wire format: ``POST /v1/chat/completions`` answers a
``chat.completion`` or, with ``stream: true``, ``chat.completion.chunk`` events ending
with ``data: [DONE]``; with ``stream_options.include_usage`` the usage comes last in a
chunk of its own with ``choices: []``, after the ``finish_reason`` chunk, as OpenAI sends
it. A forced tool choice answers with a call to that tool (arguments from
``tool_arguments``, default ``{}``). A last user message starting with ``FAIL`` gets a
400 error body in OpenAI's shape. Every request body is kept in ``requests``.
``test_fake_openai.py`` drives it with the official ``openai`` SDK.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

USAGE_PROMPT_TOKENS = 11


def reply_text(body: dict[str, Any]) -> str:
    last = body["messages"][-1]
    content = last.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return f"Fake says: {content}"


def _forced_tool(body: dict[str, Any]) -> str | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if not tools or choice in (None, "auto", "none"):
        return None
    if isinstance(choice, dict):
        return str(choice["function"]["name"])
    return str(tools[0]["function"]["name"])


class FakeOpenAI:
    """The server; ``url`` is what ``OPENAI_BASE_URL`` takes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str] = []
        self.tool_arguments = "{}"
        self.reply: str | None = None  # a fixed answer instead of the echo
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                fake.requests.append(body)
                fake.auth.append(self.headers.get("authorization", ""))
                status, data, kind = fake.answer(body)
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, body: dict[str, Any]) -> tuple[int, bytes, str]:
        text = reply_text(body)
        failing = text.startswith("Fake says: FAIL")
        text = self.reply if self.reply is not None else text
        if failing:
            error = {"error": {"message": "the fake model refused", "type": "invalid_request_error",
                               "param": None, "code": None}}
            return 400, json.dumps(error).encode(), "application/json"
        tool = _forced_tool(body)
        completion_tokens = len(text.split()) if tool is None else 5
        usage = {"prompt_tokens": USAGE_PROMPT_TOKENS, "completion_tokens": completion_tokens,
                 "total_tokens": USAGE_PROMPT_TOKENS + completion_tokens}
        base = {"id": "chatcmpl-fake", "created": 1700000000, "model": body["model"],
                "system_fingerprint": "fp_fake"}
        if body.get("stream"):
            events = self._chunks(base, text, tool)
            if (body.get("stream_options") or {}).get("include_usage"):
                events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
            data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            return 200, data.encode(), "text/event-stream"
        message: dict[str, Any] = {"role": "assistant", "content": None if tool else text}
        if tool:
            message["tool_calls"] = [{"id": "call_fake", "type": "function",
                                      "function": {"name": tool, "arguments": self.tool_arguments}}]
        completion = {**base, "object": "chat.completion", "usage": usage, "choices": [
            {"index": 0, "message": message, "logprobs": None,
             "finish_reason": "tool_calls" if tool else "stop"}]}
        return 200, json.dumps(completion).encode(), "application/json"

    def _chunks(self, base: dict[str, Any], text: str, tool: str | None) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""})]
        if tool:
            events.append(chunk({"tool_calls": [{"index": 0, "id": "call_fake", "type": "function",
                                                 "function": {"name": tool, "arguments": ""}}]}))
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": self.tool_arguments}}]}))
            events.append(chunk({}, "tool_calls"))
        else:
            words = text.split(" ")
            events += [chunk({"content": w + (" " if i < len(words) - 1 else "")}) for i, w in enumerate(words)]
            events.append(chunk({}, "stop"))
        return events
