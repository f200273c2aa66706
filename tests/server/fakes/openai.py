"""OpenAI chat completions (``POST /v1/chat/completions``): JSON, and SSE of
``chat.completion.chunk`` ending in ``data: [DONE]``, with tool-call deltas by index and
the usage chunk ``stream_options.include_usage`` asks for. Azure, Groq and DeepSeek
subclass it with their own paths, auth and limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._server import Failure, Fake, Reply, Request, Response, json_pieces, pieces, sse_response

ALLOWED = {"model", "messages", "tools", "tool_choice", "response_format", "max_tokens", "max_completion_tokens",
           "temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty", "n", "stream",
           "stream_options", "logprobs", "top_logprobs", "user", "parallel_tool_calls", "logit_bias",
           "reasoning_effort", "service_tier", "metadata", "store", "modalities", "prediction", "audio"}
ROLES = {"system", "developer", "user", "assistant", "tool"}


class OpenAIFake(Fake):
    key = "sk-openai-fake"
    path = "/v1/chat/completions"
    max_n = 128

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.key}"

    def route(self, request: Request) -> bool:
        return request.path == self.path

    def error(self, status: int, message: str, kind: str = "invalid_request_error") -> Response:
        return Response.of_json({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)

    def check(self, body: dict[str, Any]) -> str | None:
        extra = sorted(set(body) - ALLOWED)
        if extra:
            return f"Unrecognized request argument supplied: {extra[0]}"
        open_calls: set[str] = set()
        for i, message in enumerate(body.get("messages") or []):
            if message.get("role") not in ROLES:
                return f"Invalid value for 'messages[{i}].role'"
            if message.get("role") == "tool":
                open_calls.discard(message.get("tool_call_id"))
            elif open_calls:
                return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'."
            open_calls |= {c["id"] for c in message.get("tool_calls") or []}
        if (body.get("n") or 1) > self.max_n:
            return f"'n' : number must be at most {self.max_n}"
        if "stream_options" in body and not body.get("stream"):
            return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        return None

    def handle(self, request: Request) -> Response:
        if request.path == self.path.replace("/chat/completions", "/completions") and self.authorised(request):
            return self.completions(request.json())
        if not self.route(request):
            return self.error(404, f"Unknown path {request.path}", "not_found")
        if not self.authorised(request):
            # OpenAI names the rejected key in its message (the server must not pass it on).
            sent = request.headers.get("authorization", "")[7:] or request.headers.get("api-key", "")
            return self.error(401, f"Incorrect API key provided: {sent}.", "invalid_api_key")
        body = request.json()
        problem = self.check(body)
        if problem:
            return self.error(400, problem)
        reply = self.next()
        if isinstance(reply, Failure):
            response = self.error(reply.status, reply.message, "rate_limit_exceeded" if reply.status == 429 else "error")
            if reply.retry_after:
                response.headers["retry-after"] = reply.retry_after
            return response
        n = body.get("n") or 1
        if body.get("stream"):
            return sse_response(self.events(body, reply, n))
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
        if reply.calls:
            message["tool_calls"] = [{"id": i, "type": "function", "function": {"name": name, "arguments": _json(a)}}
                                     for i, name, a in reply.calls]
        return Response.of_json({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000, "model": body["model"],
            "choices": [{"index": k, "message": message, "finish_reason": reply.finish,
                         "logprobs": _logprobs(reply.text) if body.get("logprobs") else None} for k in range(n)],
            "usage": self.usage(reply)})

    def completions(self, body: dict[str, Any]) -> Response:
        """The legacy completions endpoint: a ``prompt`` in, ``choices[].text`` out."""
        if not isinstance(body.get("prompt"), str) or "messages" in body:
            return self.error(400, "'prompt' is a required property")
        reply = self.next()
        if isinstance(reply, Failure):
            return self.error(reply.status, reply.message)

        def choice(text: str, finish: str | None) -> dict[str, Any]:
            return {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}

        base = {"id": "cmpl-fake", "object": "text_completion", "created": 1700000000, "model": body["model"]}
        if body.get("stream"):
            events: list[tuple[str | None, Any]] = [(None, {**base, "choices": [choice(p, None)]})
                                                    for p in pieces(reply.text)]
            events += [(None, {**base, "choices": [choice("", reply.finish)]}),
                       (None, {**base, "choices": [], "usage": self.usage(reply)}), (None, "[DONE]")]
            return sse_response(iter(events))
        return Response.of_json({**base, "choices": [choice(reply.text, reply.finish)], "usage": self.usage(reply)})

    def usage(self, reply: Reply) -> dict[str, int]:
        return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.output_tokens,
                "total_tokens": reply.prompt_tokens + reply.output_tokens}

    def chunk(self, body: dict[str, Any], choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000,
                "model": body["model"], "choices": choices, **extra}

    def events(self, body: dict[str, Any], reply: Reply, n: int) -> Iterator[tuple[str | None, Any]]:
        for k in range(n):
            yield None, self.chunk(body, [{"index": k, "delta": {"role": "assistant", "content": ""},
                                           "finish_reason": None}])
            for piece in pieces(reply.text):
                choice = {"index": k, "delta": {"content": piece}, "finish_reason": None}
                if body.get("logprobs"):
                    choice["logprobs"] = _logprobs(piece)
                yield None, self.chunk(body, [choice])
            for position, (call_id, name, arguments) in enumerate(reply.calls):
                head = {"index": position, "id": call_id, "type": "function",
                        "function": {"name": name, "arguments": ""}}
                yield None, self.chunk(body, [{"index": k, "delta": {"tool_calls": [head]}, "finish_reason": None}])
                for piece in json_pieces(arguments):
                    delta = {"tool_calls": [{"index": position, "function": {"arguments": piece}}]}
                    yield None, self.chunk(body, [{"index": k, "delta": delta, "finish_reason": None}])
            yield None, self.chunk(body, [{"index": k, "delta": {}, "finish_reason": reply.finish}])
        if (body.get("stream_options") or {}).get("include_usage"):
            yield None, self.chunk(body, [], usage=self.usage(reply))
        yield None, "[DONE]"


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _logprobs(text: str) -> dict[str, Any]:
    return {"content": [{"token": t, "logprob": -0.5, "bytes": list(t.encode()), "top_logprobs": []}
                        for t in pieces(text)]}
