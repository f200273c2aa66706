"""Cohere v2 chat (``POST /v2/chat``): JSON, and SSE of typed events (message-start,
content-start/delta/end, tool-plan-delta, tool-call-start/delta/end, message-end)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._server import Failure, Fake, Reply, Request, Response, json_pieces, pieces, sse_response

ALLOWED = {"model", "messages", "tools", "documents", "citation_options", "response_format", "safety_mode",
           "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty", "presence_penalty", "k",
           "p", "logprobs", "tool_choice", "stream", "strict_tools", "thinking", "priority"}
FINISH = {"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL"}


def _error(status: int, message: str, retry: str | None = None) -> Response:
    return Response.of_json({"message": message}, status, {"retry-after": retry} if retry else None)


def check(body: Any) -> str | None:
    extra = sorted(set(body) - ALLOWED)
    if extra:
        return f"invalid request: unknown field {extra[0]!r}"
    if body.get("tool_choice") not in (None, "REQUIRED", "NONE"):
        return "invalid request: tool_choice must be one of REQUIRED, NONE"
    if body.get("tool_choice") and not body.get("tools"):
        return "invalid request: tool_choice requires tools"
    rf = body.get("response_format") or {}
    if rf and rf.get("type") not in ("text", "json_object"):
        return "invalid request: response_format.type must be text or json_object"
    for i, message in enumerate(body.get("messages") or []):
        if message.get("role") not in ("system", "user", "assistant", "tool"):
            return f"invalid request: messages[{i}].role is invalid"
        if message["role"] == "tool" and not message.get("tool_call_id"):
            return f"invalid request: messages[{i}].tool_call_id is required"
    return None


class CohereFake(Fake):
    key = "co-fake-key"

    def handle(self, request: Request) -> Response:
        if request.path != "/v2/chat":
            return _error(404, f"no route {request.path}")
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(401, "invalid api token")
        body = request.json()
        problem = check(body)
        if problem:
            return _error(400, problem)
        reply = self.next()
        if isinstance(reply, Failure):
            return _error(reply.status, reply.message, reply.retry_after)
        if body.get("stream"):
            return sse_response(self._events(reply))
        message: dict[str, Any] = {"role": "assistant"}
        if reply.text:
            message["content"] = [{"type": "text", "text": reply.text}]
        if reply.calls:
            message["tool_plan"] = "I will call the tools."
            message["tool_calls"] = [{"id": i, "type": "function", "function": {"name": n, "arguments": _dumps(a)}}
                                     for i, n, a in reply.calls]
        return Response.of_json({"id": "fake-id", "finish_reason": FINISH[reply.finish], "message": message,
                                 "usage": _usage(reply)})

    def _events(self, reply: Reply) -> Iterator[tuple[str | None, Any]]:
        def event(kind: str, **data: Any) -> tuple[str, Any]:
            return kind, {"type": kind, **data}

        yield event("message-start", id="fake-id", delta={"message": {"role": "assistant"}})
        if reply.text:
            yield event("content-start", index=0, delta={"message": {"content": {"type": "text", "text": ""}}})
            for piece in pieces(reply.text):
                yield event("content-delta", index=0, delta={"message": {"content": {"text": piece}}})
            yield event("content-end", index=0)
        if reply.calls:
            yield event("tool-plan-delta", delta={"message": {"tool_plan": "I will call the tools."}})
        for index, (call_id, name, arguments) in enumerate(reply.calls):
            yield event("tool-call-start", index=index, delta={"message": {"tool_calls": {
                "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}}})
            for piece in json_pieces(arguments):
                yield event("tool-call-delta", index=index,
                            delta={"message": {"tool_calls": {"function": {"arguments": piece}}}})
            yield event("tool-call-end", index=index)
        yield event("message-end", delta={"finish_reason": FINISH[reply.finish], "usage": _usage(reply)})


def _usage(reply: Reply) -> dict[str, Any]:
    tokens = {"input_tokens": reply.prompt_tokens, "output_tokens": reply.output_tokens}
    return {"billed_units": dict(tokens), "tokens": tokens}


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)
