"""The ``cohere`` provider: Cohere's v2 chat (``POST /v2/chat``), plain and SSE.

Key: ``provider_api_keys.cohere``, else ``CO_API_KEY``; base URL ``CO_API_URL`` (both as
Cohere's SDK reads them). Messages are close to OpenAI's; ``top_p`` is ``p``, stops are
``stop_sequences``, ``tool_choice`` only knows ``REQUIRED``/``NONE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ._convert import image_url, parts_of, schema_of, text_of
from ._http import HttpProvider, api_key, base_url
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

DEFAULT_BASE_URL = "https://api.cohere.com"
FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length", "TOOL_CALL": "tool_calls",
          "ERROR": "error", "TIMEOUT": "error"}


def _message(message: dict[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    if role == "developer":
        role = "system"
    if role == "tool":
        return {"role": "tool", "tool_call_id": message.get("tool_call_id") or "",
                "content": text_of(message.get("content"))}
    content: Any = message.get("content")
    if isinstance(content, list):
        content = [{"type": "text", "text": p.get("text", "")} if p.get("type") == "text"
                   else {"type": "image_url", "image_url": {"url": image_url(p)}}
                   for p in parts_of(content)]
    wire: dict[str, Any] = {"role": role, "content": content or ""}
    if role == "assistant" and message.get("tool_calls"):
        wire["tool_calls"] = [{"id": c.get("id", ""), "type": "function",
                               "function": {"name": (c.get("function") or {}).get("name", ""),
                                            "arguments": (c.get("function") or {}).get("arguments") or "{}"}}
                              for c in message["tool_calls"]]
        if not content:
            del wire["content"]
    return wire


def build_payload(request: ProviderRequest, stream: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": request.model, "messages": [_message(m) for m in request.messages]}
    tools = request.tools
    choice = request.tool_choice
    if isinstance(choice, dict):
        # Cohere cannot name a tool: offer only the named one and require a call.
        wanted = (choice.get("function") or {}).get("name")
        tools = [t for t in tools if t.get("name") == wanted]
        if not tools:
            raise ProviderError(f"tool_choice names {wanted!r}, which is not one of the prompt's tools", 400)
        choice = "required"
    if tools:
        payload["tools"] = [{"type": "function", "function": {
            "name": t["name"], "description": t.get("description") or "",
            "parameters": t.get("parameters") or {"type": "object", "properties": {}}}} for t in tools]
        if choice in ("required", "none"):
            payload["tool_choice"] = choice.upper()
    if request.response_format:
        rf: dict[str, Any] = {"type": "json_object"}
        schema = schema_of(request.response_format)
        if schema is not None:
            rf["json_schema"] = schema
        payload["response_format"] = rf
    optional = {"max_tokens": request.max_tokens, "temperature": request.temperature, "p": request.top_p,
                "stop_sequences": request.stop or None, "seed": request.seed,
                "presence_penalty": request.presence_penalty, "frequency_penalty": request.frequency_penalty,
                "logprobs": True if request.logprobs else None,
                "thinking": ({"type": "enabled", "token_budget": request.reasoning_effort}
                             if isinstance(request.reasoning_effort, int) else None)}
    payload.update({k: v for k, v in optional.items() if v is not None})
    payload.update(request.other)
    payload["stream"] = stream
    return payload


def _tokens(usage: dict[str, Any]) -> tuple[int, int]:
    tokens = usage.get("tokens") or usage.get("billed_units") or {}
    return int(tokens.get("input_tokens") or 0), int(tokens.get("output_tokens") or 0)


def completion_from_wire(body: dict[str, Any]) -> Completion:
    message = body.get("message") or {}
    calls = [{"id": c.get("id", ""), "type": "function",
              "function": {"name": (c.get("function") or {}).get("name", ""),
                           "arguments": (c.get("function") or {}).get("arguments") or "{}"}}
             for c in message.get("tool_calls") or []]
    prompt_tokens, output_tokens = _tokens(body.get("usage") or {})
    return Completion(output=text_of(message.get("content")), tool_calls=calls or None,
                      finish_reason=FINISH.get(body.get("finish_reason") or "", "stop"),
                      prompt_tokens=prompt_tokens, output_tokens=output_tokens)


def chunk_from_event(data: dict[str, Any], calls: dict[int, dict[str, str]]) -> Chunk | None:
    """One v2 stream event; ``calls`` keeps each tool call's id and name by index."""
    kind = data.get("type")
    message = (data.get("delta") or {}).get("message") or {}
    if kind in ("content-start", "content-delta"):
        text = (message.get("content") or {}).get("text") or ""
        return Chunk(output=text) if text else None
    if kind in ("tool-call-start", "tool-call-delta"):
        call = message.get("tool_calls") or {}
        known = calls.setdefault(data.get("index", 0), {"id": "", "name": ""})
        fn = call.get("function") or {}
        known["id"] = call.get("id") or known["id"]
        known["name"] = fn.get("name") or known["name"]
        return Chunk(tool_calls=[{"id": known["id"], "type": "function",
                                  "function": {"name": known["name"], "arguments": fn.get("arguments") or ""}}])
    if kind == "message-end":
        delta = data.get("delta") or {}
        if delta.get("error"):
            raise ProviderError(f"cohere stream failed: {delta['error']}", 502)
        prompt_tokens, output_tokens = _tokens(delta.get("usage") or {})
        return Chunk(finish_reason=FINISH.get(delta.get("finish_reason") or "", "stop"),
                     prompt_tokens=prompt_tokens, output_tokens=output_tokens)
    return None  # message-start, content-end, tool-plan-delta, tool-call-end, citations


class CohereProvider(HttpProvider):
    name = "cohere"
    capabilities = Capabilities(logprobs=True, reasoning=("budget",))

    def _target(self, request: ProviderRequest) -> tuple[str, dict[str, str]]:
        key = api_key(request, "Cohere API key", "cohere", ("CO_API_KEY",))
        base = base_url("CO_API_URL", DEFAULT_BASE_URL)
        return base + "/v2/chat", {"Authorization": f"Bearer {key}"}

    async def complete(self, request: ProviderRequest) -> Completion:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        return completion_from_wire(await self._post_json(url, build_payload(request, False), headers,
                                                          request.api_key))

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        calls: dict[int, dict[str, str]] = {}
        async for event in self._sse(url, build_payload(request, True), headers, request.api_key):
            if event.data.strip() in ("", "[DONE]"):
                continue
            chunk = chunk_from_event(event.json(), calls)
            if chunk is not None:
                yield chunk
