"""A loopback OpenAI-compatible chat-completions server (for `make demo` and the tracing tests).

It speaks the documented wire format (checked by driving it with the ``openai`` SDK,
LangChain's ChatOpenAI and LlamaIndex's OpenAI LLM): when the request offers tools and
the conversation has no tool result yet, it asks for the first tool with arguments built
from the tool's schema; otherwise it answers with text that echoes the last message.
Usage is always reported, so token counts can be asserted downstream.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PROMPT_TOKENS = 11
COMPLETION_TOKENS = 5


def _arguments(tool: dict[str, Any]) -> str:
    props = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
    sample = {"string": "Paris", "integer": 2, "number": 2.5, "boolean": True}
    return json.dumps({name: sample.get(spec.get("type", "string"), "x") for name, spec in props.items()})


def reply_for(body: dict[str, Any]) -> dict[str, Any]:
    """The assistant message the fake answers ``body`` with (pure, tested alone)."""
    messages = body.get("messages") or []
    tools = body.get("tools") or []
    if tools and not any(m.get("role") == "tool" for m in messages):
        tool = tools[0]
        return {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_fake_1", "type": "function",
            "function": {"name": tool["function"]["name"], "arguments": _arguments(tool)}}]}
    last = messages[-1] if messages else {}
    content = last.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return {"role": "assistant", "content": f"Fake answer to: {content}"}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self.server.requests.append(body)
        if self.path.rstrip("/").endswith("/embeddings"):
            inputs = body.get("input")
            inputs = inputs if isinstance(inputs, list) else [inputs]
            data = [{"object": "embedding", "index": i, "embedding": [0.1 * (i + 1), 0.2, 0.3]}
                    for i in range(len(inputs))]
            self._json({"object": "list", "data": data, "model": body.get("model", "fake"),
                        "usage": {"prompt_tokens": 3, "total_tokens": 3}})
            return
        message = reply_for(body)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                 "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}
        base = {"id": "chatcmpl-fake", "created": 1700000000, "model": body.get("model", "fake-model")}
        if body.get("stream"):
            self._stream(base, message, finish, usage)
            return
        self._json({**base, "object": "chat.completion", "usage": usage, "choices": [
            {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]})

    def _stream(self, base: dict[str, Any], message: dict[str, Any], finish: str,
                usage: dict[str, int]) -> None:
        chunk = {**base, "object": "chat.completion.chunk"}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": 0, **c} for c in message["tool_calls"]]
        events = [{**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                  {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                  {**chunk, "choices": [], "usage": usage}]
        data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(data.encode(), "text/event-stream")

    def _json(self, payload: dict[str, Any]) -> None:
        self._send(json.dumps(payload).encode(), "application/json")

    def _send(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]


@contextmanager
def fake_openai() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve the fake on a free loopback port; yields (base URL ending in /v1, requests)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.requests
    finally:
        server.shutdown()
        server.server_close()
