"""Anthropic Messages API (``POST /v1/messages``): JSON and SSE events
(message_start, content_block_start/delta/stop, message_delta, message_stop, ping)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._server import Failure, Fake, Reply, Request, Response, json_pieces, pieces, sse_response

ALLOWED = {"model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences",
           "stream", "tools", "tool_choice", "metadata", "output_config", "thinking", "service_tier"}
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
ERRORS = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
          429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def _invalid(message: str, status: int = 400) -> Response:
    return Response.of_json({"type": "error", "error": {"type": ERRORS.get(status, "api_error"),
                                                        "message": message}}, status, {"request-id": "req_fake"})


def check(body: Any) -> str | None:
    """What the real API would refuse in this body, or None."""
    if not isinstance(body, dict):
        return "body: must be an object"
    extra = sorted(set(body) - ALLOWED)
    if extra:
        return f"{extra[0]}: Extra inputs are not permitted"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    if not body.get("messages"):
        return "messages: at least one message is required"
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        return "temperature: range: 0..1"
    pending: set[str] = set()
    for i, message in enumerate(body["messages"]):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        blocks = message["content"] if isinstance(message["content"], list) else []
        if pending and {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"} != pending:
            return f"messages.{i}: tool_use ids were found without tool_result blocks immediately after"
        pending = {b["id"] for b in blocks if b.get("type") == "tool_use"}
    return None


class AnthropicFake(Fake):
    key = "sk-ant-fake"

    def handle(self, request: Request) -> Response:
        if request.path != "/v1/messages" or request.method != "POST":
            return _invalid(f"Not Found: {request.path}", 404)
        # The API takes the key as x-api-key (documented) or, from newer SDKs, a bearer token.
        keys = {request.headers.get("x-api-key"), request.headers.get("authorization", "")[7:]}
        if self.key not in keys or "anthropic-version" not in request.headers:
            return _invalid("invalid x-api-key", 401)
        body = request.json()
        problem = check(body)
        if problem:
            return _invalid(problem)
        reply = self.next()
        if isinstance(reply, Failure):
            response = _invalid(reply.message, reply.status)
            if reply.retry_after:
                response.headers["retry-after"] = reply.retry_after
            return response
        if body.get("stream"):
            return sse_response(self._events(body, reply))
        content = ([{"type": "text", "text": reply.text}] if reply.text else []) + [
            {"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in reply.calls]
        return Response.of_json({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"], "content": content,
            "stop_reason": STOP[reply.finish], "stop_sequence": None,
            "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.output_tokens}})

    def _events(self, body: dict[str, Any], reply: Reply) -> Iterator[tuple[str, Any]]:
        yield "message_start", {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"], "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": 1}}}
        yield "ping", {"type": "ping"}
        index = 0
        if reply.text:
            yield "content_block_start", {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}}
            for n, piece in enumerate(pieces(reply.text)):
                if n == reply.break_after:
                    yield "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                    return
                yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": piece}}
            yield "content_block_stop", {"type": "content_block_stop", "index": 0}
            index = 1
        for call_id, name, arguments in reply.calls:
            yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": call_id, "name": name, "input": {}}}
            for piece in json_pieces(arguments):
                yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "input_json_delta", "partial_json": piece}}
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
            index += 1
        yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": STOP[reply.finish],
                                                                   "stop_sequence": None},
                                "usage": {"output_tokens": reply.output_tokens}}
        yield "message_stop", {"type": "message_stop"}
