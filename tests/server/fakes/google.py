"""Gemini API: ``POST /v1beta/models/{model}:generateContent`` (JSON) and
``:streamGenerateContent?alt=sse`` (SSE of GenerateContentResponse), key in
``x-goog-api-key``, errors as ``google.rpc.Status`` with a RetryInfo detail on 429."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

from ._server import Failure, Fake, Reply, Request, Response, pieces, sse_response

# Both API versions serve these (Google's SDK now calls v1, the server v1beta).
_PATH = re.compile(r"^/v1(?:beta)?/models/([^/:]+):(generateContent|streamGenerateContent)$")
ALLOWED = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings",
           "cachedContent", "labels"}
GENERATION = {"temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "seed", "presencePenalty",
              "frequencyPenalty", "candidateCount", "responseMimeType", "responseSchema", "responseJsonSchema",
              "responseLogprobs", "logprobs", "thinkingConfig", "responseModalities", "mediaResolution",
              "speechConfig", "enableEnhancedCivicAnswers"}
FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE"}


def _error(status: int, message: str, retry: str | None = None) -> Response:
    error: dict[str, Any] = {"code": status, "message": message, "status": STATUS.get(status, "UNKNOWN")}
    if retry:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry}s"}]
    return Response.of_json({"error": error}, status)


def check(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON payload received."
    unknown = sorted(set(body) - ALLOWED) or sorted(set(body.get("generationConfig") or {}) - GENERATION)
    if unknown:
        return f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
    if not body.get("contents"):
        return "* GenerateContentRequest.contents: contents is not specified"
    for i, content in enumerate(body["contents"]):
        if content.get("role") not in ("user", "model"):
            return f"Please use a valid role: user, model. (contents[{i}])"
        if not content.get("parts"):
            return f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
        kinds = {k for part in content["parts"] for k in part}
        for part in content["parts"]:
            call_id = (part.get("functionCall") or {}).get("id", "")
            if call_id.startswith("signed_") and part.get("thoughtSignature") != signature(call_id):
                return f"Function call is missing a thought_signature in functionCall parts (contents[{i}])"
        if "functionCall" in kinds and content["role"] != "model":
            return f"contents[{i}]: functionCall parts belong to the model role"
        if "functionResponse" in kinds and content["role"] != "user":
            return f"contents[{i}]: functionResponse parts belong to the user role"
    temperature = (body.get("generationConfig") or {}).get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        return "* GenerateContentRequest.generation_config.temperature: must be in [0, 2]"
    return None


class GoogleFake(Fake):
    key = "AIza-fake"

    def handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        if not match:
            return _error(404, f"Not found: {request.path}")
        if self.key not in (request.headers.get("x-goog-api-key"), (request.query.get("key") or [None])[0]):
            return _error(400, "API key not valid. Please pass a valid API key.")
        body = request.json()
        problem = check(body)
        if problem:
            return _error(400, problem)
        reply = self.next()
        if isinstance(reply, Failure):
            return _error(reply.status, reply.message, reply.retry_after)
        n = (body.get("generationConfig") or {}).get("candidateCount") or 1
        if match.group(2) == "streamGenerateContent":
            return sse_response(self._events(reply, n))
        return Response.of_json({"candidates": [_candidate(reply, reply.text, reply.calls, k, True) for k in range(n)],
                                 "usageMetadata": _usage(reply), "modelVersion": match.group(1)})

    def _events(self, reply: Reply, n: int) -> Iterator[tuple[str | None, Any]]:
        texts = pieces(reply.text)
        for k in range(n):
            for piece in texts:
                yield None, {"candidates": [_candidate(reply, piece, [], k, False)]}
            last = _candidate(reply, "", reply.calls, k, True)
            yield None, {"candidates": [last], "usageMetadata": _usage(reply)}


def _candidate(reply: Reply, text: str, calls: list[tuple[str, str, dict[str, Any]]], index: int,
               final: bool) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    # Gemini 3 signs its function calls; the signature must come back with the call.
    parts += [{"functionCall": {"id": i, "name": n, "args": a}, "thoughtSignature": signature(i)} for i, n, a in calls]
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts or [{"text": ""}]}, "index": index}
    if final:
        candidate["finishReason"] = FINISH[reply.finish]
    return candidate


def signature(call_id: str) -> str:
    """The fake's thoughtSignature for a call (opaque base64 bytes, as Gemini's are)."""
    return base64.b64encode(f"sig-{call_id}".encode()).decode()


def _usage(reply: Reply) -> dict[str, int]:
    return {"promptTokenCount": reply.prompt_tokens, "candidatesTokenCount": reply.output_tokens,
            "totalTokenCount": reply.prompt_tokens + reply.output_tokens}
