"""The ``google`` provider: Gemini's ``generateContent`` / ``streamGenerateContent?alt=sse``.

Key: ``provider_api_keys.google``, else ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` (Google's SDK
prefers the first when both are set); base URL ``GOOGLE_GEMINI_BASE_URL``. Roles are
``user``/``model``, the system message is ``systemInstruction``, tools are
``functionDeclarations`` and their results ``functionResponse`` parts.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from ._convert import arguments, data_url, image_url, parts_of, schema_of, text_of, tool_names
from ._http import HttpProvider, api_key, base_url
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"
FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
          "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
          "IMAGE_SAFETY": "content_filter"}


def _function_response(content: Any) -> dict[str, Any]:
    text = text_of(content)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    # The response must be an object: a JSON object as is, anything else under "result".
    return parsed if isinstance(parsed, dict) else {"result": text}


_SIGNED = "gsig_"


def pack_call_id(call_id: str, signature: str | None) -> str:
    """A tool call id carrying Gemini's ``thoughtSignature``: the API wants it back with
    the call on the next turn, and a Humanloop tool call has no field for it, but its id
    does come back (in the assistant message and in the tool result)."""
    if not signature:
        return call_id
    packed = base64.urlsafe_b64encode(json.dumps([call_id, signature]).encode()).decode().rstrip("=")
    return _SIGNED + packed


def unpack_call_id(call_id: str) -> tuple[str, str | None]:
    if not call_id.startswith(_SIGNED):
        return call_id, None
    raw = call_id[len(_SIGNED):]
    try:
        inner, signature = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        return call_id, None
    return str(inner), str(signature)


def _parts(message: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    if message.get("role") == "tool":
        full_id = message.get("tool_call_id") or ""
        call_id = unpack_call_id(full_id)[0]
        response = {"name": names.get(full_id) or message.get("name") or "",
                    "response": _function_response(message.get("content"))}
        return [{"functionResponse": {"id": call_id, **response} if call_id else response}]
    parts: list[dict[str, Any]] = []
    for part in parts_of(message.get("content")):
        if part.get("type") == "text" and part.get("text"):
            parts.append({"text": part["text"]})
        elif part.get("type") == "image_url":
            inline = data_url("google", image_url(part))
            if inline is None:
                raise ProviderError("the google provider takes images inline, as data: URLs "
                                    "(data:image/png;base64,...)", 400)
            parts.append({"inlineData": {"mimeType": inline[0], "data": inline[1]}})
    for call in message.get("tool_calls") or []:
        function_call = {"name": (call.get("function") or {}).get("name", ""), "args": arguments("google", call)}
        call_id, signature = unpack_call_id(call.get("id") or "")
        if call_id:
            function_call["id"] = call_id
        parts.append({"functionCall": function_call, **({"thoughtSignature": signature} if signature else {})})
    return parts


def to_wire_contents(messages: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(systemInstruction, contents); consecutive turns of one role merge."""
    names = tool_names(messages)
    system = [text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")]
    contents: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") in ("system", "developer"):
            continue
        role = "model" if message.get("role") == "assistant" else "user"
        parts = _parts(message, names)
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    text = "\n\n".join(s for s in system if s)
    return ({"parts": [{"text": text}]} if text else None), contents


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if isinstance(choice, dict):
        return {"functionCallingConfig": {"mode": "ANY",
                                          "allowedFunctionNames": [(choice.get("function") or {}).get("name", "")]}}
    mode = {"auto": "AUTO", "required": "ANY", "none": "NONE"}.get(choice or "")
    return {"functionCallingConfig": {"mode": mode}} if mode else None


def build_payload(request: ProviderRequest) -> dict[str, Any]:
    system, contents = to_wire_contents(request.messages)
    payload: dict[str, Any] = {"contents": contents}
    if system:
        payload["systemInstruction"] = system
    if request.tools:
        payload["tools"] = [{"functionDeclarations": [
            {"name": t["name"], "description": t.get("description") or "",
             "parametersJsonSchema": t.get("parameters") or {"type": "object", "properties": {}}}
            for t in request.tools]}]
        config = _tool_config(request.tool_choice)
        if config:
            payload["toolConfig"] = config
    generation = {
        "temperature": request.temperature, "topP": request.top_p, "maxOutputTokens": request.max_tokens,
        "stopSequences": request.stop or None, "seed": request.seed,
        "presencePenalty": request.presence_penalty, "frequencyPenalty": request.frequency_penalty,
        "candidateCount": request.n if request.n > 1 else None,
    }
    config = {k: v for k, v in generation.items() if v is not None}
    if request.logprobs:
        config.update(responseLogprobs=True, logprobs=request.logprobs)
    effort = request.reasoning_effort
    if effort is not None:
        config["thinkingConfig"] = ({"thinkingBudget": effort} if isinstance(effort, int)
                                    else {"thinkingLevel": effort})
    if request.response_format:
        config["responseMimeType"] = "application/json"
        schema = schema_of(request.response_format)
        if schema is not None:
            config["responseJsonSchema"] = schema
    if config:
        payload["generationConfig"] = config
    payload.update(request.other)
    return payload


def _candidate(candidate: dict[str, Any]) -> tuple[str, list[dict[str, Any]], str | None]:
    """(text, tool calls, finish reason) of one candidate; thought parts are not output."""
    text, calls = "", []
    for part in (candidate.get("content") or {}).get("parts") or []:
        if part.get("thought"):
            continue
        if "text" in part:
            text += part["text"]
        elif "functionCall" in part:
            fc = part["functionCall"]
            call_id = pack_call_id(fc.get("id") or f"call_{uuid.uuid4().hex[:16]}", part.get("thoughtSignature"))
            calls.append({"id": call_id, "type": "function",
                          "function": {"name": fc.get("name", ""), "arguments": json.dumps(fc.get("args") or {})}})
    reason = candidate.get("finishReason")
    finish = None if reason is None else ("tool_calls" if calls else FINISH.get(reason, "stop"))
    return text, calls, finish


def _usage(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usageMetadata") or {}
    output = int(usage.get("candidatesTokenCount") or 0) + int(usage.get("thoughtsTokenCount") or 0)
    return int(usage.get("promptTokenCount") or 0), output


def completion_from_wire(body: dict[str, Any]) -> Completion:
    candidates = body.get("candidates") or []
    if not candidates:
        blocked = (body.get("promptFeedback") or {}).get("blockReason")
        raise ProviderError(f"google returned no candidates (prompt blocked: {blocked or 'unknown'})", 400)
    samples = []
    for candidate in sorted(candidates, key=lambda c: c.get("index", 0)):
        text, calls, finish = _candidate(candidate)
        samples.append(Completion(text, calls or None, finish or "stop", 0, 0))
    first = samples[0]
    first.prompt_tokens, first.output_tokens = _usage(body)
    first.alternatives = samples[1:]
    return first


def chunks_from_event(body: dict[str, Any]) -> list[Chunk]:
    """One streamed ``GenerateContentResponse``: function calls arrive whole, text in pieces."""
    chunks = []
    for candidate in body.get("candidates") or []:
        text, calls, finish = _candidate(candidate)
        chunk = Chunk(output=text, tool_calls=calls or None, finish_reason=finish,
                      index=candidate.get("index", 0))
        if finish is not None:
            chunk.prompt_tokens, chunk.output_tokens = _usage(body)
        chunks.append(chunk)
    if not chunks and (body.get("promptFeedback") or {}).get("blockReason"):
        raise ProviderError(f"google blocked the prompt: {body['promptFeedback']['blockReason']}", 400)
    return chunks


class GoogleProvider(HttpProvider):
    name = "google"
    capabilities = Capabilities(n=True, logprobs=True, reasoning=("effort", "budget"))

    def _target(self, request: ProviderRequest, method: str) -> tuple[str, dict[str, str]]:
        key = api_key(request, "Google API key", "google", ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
                      hint="GEMINI_API_KEY (or GOOGLE_API_KEY)")
        base = base_url("GOOGLE_GEMINI_BASE_URL", DEFAULT_BASE_URL)
        model = request.model if request.model.startswith(("models/", "tunedModels/")) else f"models/{request.model}"
        return f"{base}/{API_VERSION}/{model}:{method}", {"x-goog-api-key": key}

    async def complete(self, request: ProviderRequest) -> Completion:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request, "generateContent")
        return completion_from_wire(await self._post_json(url, build_payload(request), headers, request.api_key))

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request, "streamGenerateContent")
        async for event in self._sse(url + "?alt=sse", build_payload(request), headers, request.api_key):
            for chunk in chunks_from_event(event.json()):
                yield chunk
