"""Amazon Bedrock Converse (``POST /model/{modelId}/converse``) and ConverseStream
(``/converse-stream``, an ``application/vnd.amazon.eventstream`` of messageStart,
contentBlockStart/Delta/Stop, messageStop and metadata events). Auth is a Bedrock API
key (bearer) or SigV4, whose signature the fake recomputes with botocore."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from humanloop_core.server.providers._eventstream import encode

from ._server import Failure, Fake, Reply, Request, Response, json_pieces, pieces

_PATH = re.compile(r"^/model/([^/]+)/(converse|converse-stream)$")
ALLOWED = {"messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields",
           "additionalModelResponseFieldPaths", "promptVariables", "requestMetadata", "performanceConfig"}
INFERENCE = {"maxTokens", "temperature", "topP", "stopSequences"}
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
ERRORS = {400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
          429: "ThrottlingException", 500: "InternalServerException", 503: "ServiceUnavailableException"}


def _error(status: int, message: str) -> Response:
    kind = ERRORS.get(status, "InternalServerException")
    return Response.of_json({"message": message}, status, {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/"})


def check(body: Any) -> str | None:
    extra = sorted(set(body) - ALLOWED) or sorted(set(body.get("inferenceConfig") or {}) - INFERENCE)
    if extra:
        return f"Malformed input request: extraneous key [{extra[0]}] is not permitted"
    messages = body.get("messages") or []
    if not messages or messages[0].get("role") != "user":
        return "A conversation must start with a user message."
    uses_tools = False
    pending: set[str] = set()
    for i, message in enumerate(messages):
        if i and message.get("role") == messages[i - 1].get("role"):
            return "A conversation must alternate between user and assistant roles."
        blocks = message.get("content") or []
        if not blocks:
            return f"The content field in the Message object at messages.{i} is empty."
        results = {b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b}
        if pending and results != pending:
            return f"Expected toolResult blocks at messages.{i}.content for the toolUse ids of the previous turn"
        pending = {b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b}
        uses_tools = uses_tools or bool(pending or results)
    if uses_tools and not body.get("toolConfig"):
        return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    temperature = (body.get("inferenceConfig") or {}).get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        return "temperature: must be between 0 and 1"
    return None


class BedrockFake(Fake):
    token = "bedrock-api-key-fake"
    access_key, secret_key, region = "AKIDFAKEFAKEFAKE", "fake/secret/key", "us-east-1"

    def authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header == f"Bearer {self.token}":
            return True
        return header.startswith("AWS4-HMAC-SHA256 ") and self._signature_ok(request, header)

    def _signature_ok(self, request: Request, header: str) -> bool:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        fields = dict(part.strip().split("=", 1) for part in header[17:].split(","))
        signed = fields["SignedHeaders"].split(";")
        url = f"http://{request.headers['host']}{request.raw_path}"
        again = AWSRequest(method=request.method, url=url, data=request.body,
                           headers={h: request.headers[h] for h in signed if h != "host"})
        again.context["timestamp"] = request.headers["x-amz-date"]
        auth = SigV4Auth(Credentials(self.access_key, self.secret_key), "bedrock", self.region)
        expected = auth.signature(auth.string_to_sign(again, auth.canonical_request(again)), again)
        return bool(fields["Credential"].startswith(self.access_key + "/") and fields["Signature"] == expected)

    def handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        if not match:
            return _error(404, f"no route {request.path}")
        if not self.authorised(request):
            return _error(403, "The request signature we calculated does not match the signature you provided.")
        body = request.json()
        problem = check(body)
        if problem:
            return _error(400, problem)
        reply = self.next()
        if isinstance(reply, Failure):
            return _error(reply.status, reply.message)
        if match.group(2) == "converse-stream":
            return Response(200, {"content-type": "application/vnd.amazon.eventstream"}, chunks=self._events(reply))
        content = ([{"text": reply.text}] if reply.text else []) + [
            {"toolUse": {"toolUseId": i, "name": n, "input": a}} for i, n, a in reply.calls]
        return Response.of_json({"output": {"message": {"role": "assistant", "content": content}},
                                 "stopReason": STOP[reply.finish], "usage": _usage(reply),
                                 "metrics": {"latencyMs": 12}, "modelId": unquote(match.group(1))})

    def _events(self, reply: Reply) -> Iterator[bytes]:
        def event(kind: str, payload: dict[str, Any]) -> bytes:
            return encode({":event-type": kind, ":content-type": "application/json", ":message-type": "event"},
                          json.dumps(payload).encode())

        yield event("messageStart", {"role": "assistant"})
        index = 0
        if reply.text:
            for n, piece in enumerate(pieces(reply.text)):
                if n == reply.break_after:
                    yield encode({":exception-type": "modelStreamErrorException", ":content-type": "application/json",
                                  ":message-type": "exception"}, b'{"message":"The model stream failed."}')
                    return
                yield event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
            yield event("contentBlockStop", {"contentBlockIndex": 0})
            index = 1
        for call_id, name, arguments in reply.calls:
            yield event("contentBlockStart", {"contentBlockIndex": index,
                                              "start": {"toolUse": {"toolUseId": call_id, "name": name}}})
            for piece in json_pieces(arguments):
                yield event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}})
            yield event("contentBlockStop", {"contentBlockIndex": index})
            index += 1
        yield event("messageStop", {"stopReason": STOP[reply.finish]})
        yield event("metadata", {"usage": _usage(reply), "metrics": {"latencyMs": 12}})


def _usage(reply: Reply) -> dict[str, int]:
    return {"inputTokens": reply.prompt_tokens, "outputTokens": reply.output_tokens,
            "totalTokens": reply.prompt_tokens + reply.output_tokens}
